using System.CommandLine;
using DapperTenants.Cli.Output;
using Npgsql;
using Spectre.Console;

namespace DapperTenants.Cli.Commands;

/// <summary>
/// <c>tenants list|create|disable|enable</c>: thin shells over <see cref="TenantRegistry"/>, as the role that owns the
/// registry. Refusals of the registry (unknown, duplicate, purged tenant) exit <see cref="ExitCodes.TenantRefused"/>.
/// </summary>
internal static class TenantsCommands
{
    public const string Name = "tenants";

    private const string ConnectionHelp =
        "A connection string for the role that owns the tenant registry (the one 'dapper-tenants apply --registry' ran as), "
        + "such as 'Host=db;Database=app;Username=app_owner;Password=...'. The application's login may only read the registry.";

    /// <summary>
    /// The sub-commands of <c>tenants</c>, in the order help lists them: one factory each. Another sub-command (purge,
    /// export) is one more entry here; it can share <see cref="Connection"/>, <see cref="TenantArgument"/>,
    /// <see cref="Json"/> and <see cref="RunAsync"/>, so that it connects, reports and exits as these do.
    /// </summary>
    private static readonly Func<CliContext, Command>[] SubCommands = [CreateList, CreateCreate, CreateDisable, CreateEnable];

    /// <summary>The default <see cref="TenantOptions.RegistryRefreshInterval"/> as the notes print it, such as <c>5 s</c>.</summary>
    private static readonly string DefaultRefresh =
        new TenantOptions().RegistryRefreshInterval.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " s";

    /// <summary>The <c>tenants</c> verb with every sub-command of <see cref="SubCommands"/>.</summary>
    public static Command Create(CliContext context)
    {
        var tenants = new Command(Name, "Manage the tenant registry (PolicyInstaller.UseTenantRegistry()): list, create, disable and enable tenants.");
        foreach (var create in SubCommands)
        {
            tenants.Subcommands.Add(create(context));
        }

        return tenants;
    }

    /// <summary>The owner's <c>--connection</c> of every <c>tenants</c> sub-command.</summary>
    public static Option<string> Connection() => CliOptions.Connection(ConnectionHelp);

    /// <summary>The tenant value, exactly as stored: validated by <see cref="TenantRegistry"/> as <see cref="TenantDataSource.Open"/> validates it.</summary>
    public static Argument<string> TenantArgument() => new("tenant")
    {
        Description = "The tenant value, compared exactly (case, whitespace and Unicode normalization matter).",
    };

    /// <summary><c>--json</c>: the result, or the error, as one JSON object with <c>schemaVersion</c> 1.</summary>
    public static Option<bool> Json() => new("--json")
    {
        Description = "Write the result as one JSON object (schemaVersion 1) instead of text; on failure, the error as a JSON object.",
    };

    /// <summary>
    /// Runs <paramref name="body"/> with a <see cref="TenantRegistry"/> over the owner's data source, and turns what the
    /// registry refuses into one line on standard error (and the JSON error with <c>--json</c>) and its exit code:
    /// <see cref="ExitCodes.TenantRefused"/> for an unknown, duplicate or purged tenant, <see cref="ExitCodes.Usage"/> for a
    /// value the registry rejects, <see cref="ExitCodes.Failure"/> for anything else.
    /// </summary>
    /// <param name="context">The run's writers.</param>
    /// <param name="parseResult">The parsed command line.</param>
    /// <param name="connection">The command's <see cref="Connection"/> option.</param>
    /// <param name="json">The command's <see cref="Json"/> option.</param>
    /// <param name="body">What the command does with the registry; returns the exit code.</param>
    /// <param name="cancellationToken">Stops the command.</param>
    /// <param name="tenant">The command's tenant argument, if it has one: named in the JSON error of a purged tenant.</param>
    public static Task<int> RunAsync(
        CliContext context, ParseResult parseResult, Option<string> connection, Option<bool> json,
        Func<TenantRegistry, CancellationToken, Task<int>> body, CancellationToken cancellationToken, Argument<string>? tenant = null) =>
        CommandRunner.RunAsync(context, parseResult, async token =>
        {
            var connectionString = parseResult.GetRequiredValue(connection);
            var asJson = parseResult.GetValue(json);
            try
            {
                var dataSource = NpgsqlDataSource.Create(connectionString);
                await using (dataSource.ConfigureAwait(false))
                {
                    return await body(new TenantRegistry(dataSource), token).ConfigureAwait(false);
                }
            }
            catch (TenantNotFoundException e)
            {
                return await RefuseAsync(context, asJson, "not-found", NotRegistered(e.Tenant ?? string.Empty), e.Tenant, e.State).ConfigureAwait(false);
            }
            catch (TenantAlreadyExistsException e)
            {
                return await RefuseAsync(context, asJson, "already-exists", AlreadyRegistered(e.Tenant ?? string.Empty, e.State), e.Tenant, e.State).ConfigureAwait(false);
            }
            catch (InvalidOperationException e) when (e.GetType() == typeof(InvalidOperationException) && e.Message.Contains(" is purged", StringComparison.Ordinal))
            {
                // What the registry throws for a purged tenant (disable, enable): exactly this type, and its message says so.
                var value = tenant is null ? null : parseResult.GetValue(tenant);
                return await RefuseAsync(context, asJson, "purged", e.Message, value, TenantState.Purged).ConfigureAwait(false);
            }
            catch (InvalidOperationException e) when (e.GetType() == typeof(InvalidOperationException) && e.Message.Contains(" is being purged", StringComparison.Ordinal))
            {
                // A purge started and did not finish (enable): the CLI's way to finish it.
                var value = tenant is null ? null : parseResult.GetValue(tenant);
                var message = $"Tenant '{value}' is being purged: its purge started and has not finished, so it cannot be enabled. Finish it with: dapper-tenants tenants purge {value} --connection ...";
                return await RefuseAsync(context, asJson, "purging", message, value, TenantState.Purging).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                // The registry validates before it connects: a value it rejects is bad usage, and nothing ran.
                var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);
                await WriteErrorAsync(context, asJson, "invalid", message, null, null).ConfigureAwait(false);
                await context.Error.WriteLineAsync($"Run '{CommandPath(parseResult)} --help' for usage.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            catch (PostgresException e) when (Translate(e, connectionString) is { } translated)
            {
                await WriteErrorAsync(context, asJson, "failed", translated, null, null).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            catch (Exception e) when (asJson && e is not OperationCanceledException)
            {
                // The shared runner writes the line on standard error and returns 1; standard output still gets the JSON error.
                await context.Output.WriteLineAsync(TenantOutput.JsonError("failed", CommandRunner.Describe(e), null, null)).ConfigureAwait(false);
                throw;
            }
        }, cancellationToken);

    private static Command CreateList(CliContext context)
    {
        var (connection, json) = (Connection(), Json());
        var state = new Option<string?>("--state") { Description = "Only tenants in this state: active, disabled, purging (a purge that has not finished) or purged. All states by default." };
        state.AcceptOnlyFromAmong("active", "disabled", "purging", "purged");
        var pageSize = new Option<int>("--page-size")
        {
            Description = $"At most this many tenants, 1 to {TenantRegistry.MaxPageSize}.",
            DefaultValueFactory = _ => 100,
            HelpName = "N",
        };
        pageSize.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value is < 1 or > TenantRegistry.MaxPageSize)
            {
                result.AddError($"--page-size must be between 1 and {TenantRegistry.MaxPageSize}.");
            }
        });
        var after = new Option<string?>("--after")
        {
            Description = "Start after this tenant: the value the previous page printed as next. The first page without it.",
            HelpName = "TENANT",
        };
        var command = new Command("list", "List the registered tenants, one page at a time, ordered by the bytes of their values.")
        {
            connection, state, pageSize, after, json,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(context, parseResult, connection, json, async (registry, token) =>
        {
            var filter = parseResult.GetValue(state) is { } name ? Enum.Parse<TenantState>(name, ignoreCase: true) : (TenantState?)null;
            var page = await registry.ListAsync(filter, parseResult.GetValue(after), parseResult.GetValue(pageSize), token).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                await context.Output.WriteLineAsync(TenantOutput.Json(page, filter)).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            WriteList(context, page, filter, parseResult.GetValue(after) is not null);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command CreateCreate(CliContext context)
    {
        var (connection, json, tenant) = (Connection(), Json(), TenantArgument());
        var command = new Command("create", "Register a new, active tenant. A tenant the registry already holds, in any state, is refused (exit 4).")
        {
            tenant, connection, json,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(context, parseResult, connection, json, async (registry, token) =>
        {
            var created = await registry.CreateAsync(parseResult.GetRequiredValue(tenant), token).ConfigureAwait(false);
            return await WriteAsync(context, parseResult.GetValue(json), created,
                $"Registered tenant '{TenantOutput.Printable(created.Tenant)}' (active, created {TenantOutput.Time(created.CreatedAt)}).",
                "Data sources with RequireRegisteredTenant open it at once.").ConfigureAwait(false);
        }, cancellationToken, tenant));
        return command;
    }

    private static Command CreateDisable(CliContext context)
    {
        var (connection, json, tenant) = (Connection(), Json(), TenantArgument());
        var reason = new Option<string>("--reason")
        {
            Description = $"Why, for the operators who read the registry later: 1 to {TenantRegistry.MaxReasonLength} characters. Never shown to the tenant's connections.",
            Required = true,
            HelpName = "TEXT",
        };
        reason.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (string.IsNullOrWhiteSpace(value))
            {
                result.AddError("--reason needs a text: say why the tenant is disabled.");
            }
            else if (value.Length > TenantRegistry.MaxReasonLength)
            {
                result.AddError($"--reason is {value.Length} characters long; the limit is {TenantRegistry.MaxReasonLength}.");
            }
        });
        var command = new Command("disable", "Disable a tenant: strict data sources stop opening it within their refresh interval. Its data is kept.")
        {
            tenant, connection, reason, json,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(context, parseResult, connection, json, async (registry, token) =>
        {
            var given = parseResult.GetRequiredValue(reason);
            var disabled = await registry.DisableAsync(parseResult.GetRequiredValue(tenant), given, token).ConfigureAwait(false);
            var since = disabled.DisabledAt is { } at ? TenantOutput.Time(at) : "an unknown time";
            var first = $"Tenant '{TenantOutput.Printable(disabled.Tenant)}' is disabled (since {since}, reason: {TenantOutput.Printable(disabled.DisabledReason ?? string.Empty)}).";

            // Disabling a disabled tenant changes nothing: its first reason and time stay, and the result shows them.
            var already = disabled.DisabledReason == given ? string.Empty : " It was already disabled: the first reason and time stay, nothing changed.";
            return await WriteAsync(context, parseResult.GetValue(json), disabled, first + already,
                $"Data sources with RequireRegisteredTenant refuse new connections for it within their RegistryRefreshInterval ({DefaultRefresh} by default); "
                + "connections already open finish their lease.").ConfigureAwait(false);
        }, cancellationToken, tenant));
        return command;
    }

    private static Command CreateEnable(CliContext context)
    {
        var (connection, json, tenant) = (Connection(), Json(), TenantArgument());
        var command = new Command("enable", "Enable a disabled tenant again (enabling an active tenant changes nothing). A purged tenant is refused (exit 4).")
        {
            tenant, connection, json,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(context, parseResult, connection, json, async (registry, token) =>
        {
            var enabled = await registry.EnableAsync(parseResult.GetRequiredValue(tenant), token).ConfigureAwait(false);
            return await WriteAsync(context, parseResult.GetValue(json), enabled,
                $"Tenant '{TenantOutput.Printable(enabled.Tenant)}' is active.",
                $"Data sources with RequireRegisteredTenant open it again within their RegistryRefreshInterval ({DefaultRefresh} by default).").ConfigureAwait(false);
        }, cancellationToken, tenant));
        return command;
    }

    private static async Task<int> WriteAsync(CliContext context, bool json, TenantInfo tenant, string line, string note)
    {
        if (json)
        {
            await context.Output.WriteLineAsync(TenantOutput.Json(tenant)).ConfigureAwait(false);
        }
        else
        {
            context.Console.WriteLine(line);
            context.Console.WriteLine(note);
        }

        return ExitCodes.Success;
    }

    private static void WriteList(CliContext context, TenantPage page, TenantState? state, bool after)
    {
        var which = state is { } s ? TenantOutput.StateName(s) + " " : string.Empty;
        if (page.Tenants.Count == 0)
        {
            context.Console.WriteLine($"No {which}tenants {(after ? "after that tenant" : "in the registry")}.");
            return;
        }

        var table = context.CreateTable("Tenant", "State", "Created", "Disabled", "Reason");
        foreach (var tenant in page.Tenants)
        {
            table.AddRow(
                Cell(tenant.Tenant),
                TenantOutput.StateName(tenant.State),
                TenantOutput.Time(tenant.CreatedAt),
                tenant.DisabledAt is { } at ? TenantOutput.Time(at) : string.Empty,
                Cell(tenant.DisabledReason ?? string.Empty));
        }

        context.Write(table);

        // A '|' in a value would split a Markdown row into more cells than the header has.
        string Cell(string text) => Markup.Escape(context.IsTerminal ? TenantOutput.Printable(text) : TenantOutput.Printable(text).Replace("|", "\\|", StringComparison.Ordinal));

        var count = page.Tenants.Count == 1 ? $"1 {which}tenant" : $"{page.Tenants.Count} {which}tenants";
        context.Console.WriteLine(page.Next is null
            ? count + "."
            : $"{count}; more follow: run the same command with --after {TenantOutput.ShellArgument(page.Next)}");
    }

    private static async Task<int> RefuseAsync(CliContext context, bool json, string kind, string message, string? tenant, TenantState? state)
    {
        await WriteErrorAsync(context, json, kind, message, tenant, state).ConfigureAwait(false);
        return ExitCodes.TenantRefused;
    }

    private static async Task WriteErrorAsync(CliContext context, bool json, string kind, string message, string? tenant, TenantState? state)
    {
        await context.Error.WriteLineAsync("error: " + TenantOutput.Printable(message)).ConfigureAwait(false);
        if (json)
        {
            await context.Output.WriteLineAsync(TenantOutput.JsonError(kind, message, tenant, state)).ConfigureAwait(false);
        }
    }

    private static string NotRegistered(string tenant) =>
        $"Tenant '{TenantOutput.Printable(tenant)}' is not in the tenant registry. Register it with '{CliApp.Name} {Name} create {TenantOutput.ShellArgument(tenant)}', "
        + "or check the value: tenants are compared exactly, so case, whitespace and Unicode normalization matter.";

    private static string AlreadyRegistered(string tenant, TenantState state) =>
        $"Tenant '{TenantOutput.Printable(tenant)}' is already in the tenant registry ({TenantOutput.StateName(state)}). " + state switch
        {
            TenantState.Active => "Nothing to do: it may open connections.",
            TenantState.Disabled => $"Enable it with '{CliApp.Name} {Name} enable {TenantOutput.ShellArgument(tenant)}' instead.",
            _ => "Its data was purged and its identifier is not reused: use another tenant value.",
        };

    /// <summary>The registry's absence and a login that may not write it, said with the fix; other server errors as PostgreSQL says them.</summary>
    private static string? Translate(PostgresException e, string connectionString) => e.SqlState switch
    {
        PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.UndefinedFunction =>
            $"The tenant registry is not installed in this database ({e.SqlState}: {e.MessageText}). Install it as the tables' owner with "
            + $"'{CliApp.Name} apply --assembly <App.dll> --connection \"…\" --registry' (PolicyInstaller.UseTenantRegistry()).",
        PostgresErrorCodes.InsufficientPrivilege =>
            $"The login '{new NpgsqlConnectionStringBuilder(connectionString).Username}' may not change the tenant registry ({e.SqlState}: {e.MessageText}). "
            + "Use the connection string of the role that owns it (the one that installed it); the application's login may only read it.",
        _ => null,
    };

    /// <summary>The command as typed, such as <c>dapper-tenants tenants create</c>, for the usage hint.</summary>
    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        return string.Join(' ', names);
    }
}
