using System.CommandLine;
using DapperTenants.Cli.Installer;
using Npgsql;

namespace DapperTenants.Cli.Commands;

/// <summary><c>plan</c>, <c>apply</c> and <c>script</c>: thin shells over <see cref="PolicyInstaller"/>.</summary>
internal static class PolicyCommands
{
    private const string ConnectionHelp =
        "A connection string for the role that owns the tables, such as 'Host=db;Database=app;Username=app_owner;Password=...'.";

    public static Command CreatePlan(CliContext context) => CreateInstallerCommand(context, "plan",
        "Show what apply would change to bring the database to the [Rls] types; exit 1 when there is drift (a CI gate).",
        async (installer, renderer, app, token) =>
        {
            var plan = await renderer.WithStatusAsync("Reading the catalog…", () => installer.PlanAsync(token)).ConfigureAwait(false);
            await renderer.WritePlanAsync(plan, applied: false).ConfigureAwait(false);
            return plan.IsEmpty && plan.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
        });

    public static Command CreateApply(CliContext context) => CreateInstallerCommand(context, "apply",
        "Bring the database to the [Rls] types (ENABLE + FORCE, policies, tenant defaults) in one transaction.",
        async (installer, renderer, app, token) =>
        {
            var plan = await renderer.WithStatusAsync($"Applying the policies of {app.RlsTypes.Count} [Rls] types…", () => installer.ApplyAsync(token))
                .ConfigureAwait(false);
            await renderer.WritePlanAsync(plan, applied: true).ConfigureAwait(false);
            return plan.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
        });

    /// <summary>The shared shell of <c>plan</c> and <c>apply</c>: options, assembly loading, the owner data source and the model.</summary>
    private static Command CreateInstallerCommand(
        CliContext context, string name, string description, Func<PolicyInstaller, PlanRenderer, AppAssembly, CancellationToken, Task<int>> run)
    {
        var (assembly, connection, setting, grantTo) = (CliOptions.Assembly(), CliOptions.Connection(ConnectionHelp), CliOptions.Setting(), CliOptions.GrantTo());
        var signing = new SigningOptions();
        var hardening = new HardeningOptions();
        var registry = new RegistryOptions();
        var supportRole = AccessLogCommand.SupportRoleOption();
        var command = new Command(name, description)
        {
            assembly, connection, setting, grantTo, supportRole,
        };
        signing.AddTo(command, include: false);
        hardening.AddTo(command);
        registry.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, parseResult, async token =>
        {
            using var app = AppAssembly.Load(parseResult.GetRequiredValue(assembly));
            var dataSource = NpgsqlDataSource.Create(parseResult.GetRequiredValue(connection));
            await using (dataSource.ConfigureAwait(false))
            {
                var renderer = new PlanRenderer(context);
                renderer.WriteModel(app, parseResult.GetRequiredValue(setting), signing.KeyIdOf(parseResult), registry.Describe(parseResult));
                var installer = AccessLogCommand.WithSupportRole(registry.Configure(hardening.Configure(
                    CreateInstaller(dataSource, app, parseResult.GetRequiredValue(setting), parseResult.GetValue(grantTo), signing, parseResult), parseResult), parseResult),
                    parseResult, supportRole);
                return await run(installer, renderer, app, token).ConfigureAwait(false);
            }
        }, cancellationToken));
        return command;
    }

    public static Command CreateScript(CliContext context)
    {
        var (assembly, setting, grantTo) = (CliOptions.Assembly(), CliOptions.Setting(), CliOptions.GrantTo());
        var signing = new SigningOptions();
        var hardening = new HardeningOptions();
        var registry = new RegistryOptions();
        var citus = new Option<bool>("--citus")
        {
            Description = "Write the DDL for a Citus cluster: policies without a sub-select, tables distributed by the tenant column "
                + "(SharedRows tables as reference tables), citus.propagate_set_commands = 'local' for the --grant-to role. "
                + "Not verified against Citus; the library's tenant context for Citus (SET LOCAL) is not built yet.",
        };
        var supportRole = AccessLogCommand.SupportRoleOption();
        var command = new Command("script", "Print the complete, idempotent DDL for the [Rls] types without connecting to a database.")
        {
            assembly, setting, grantTo, citus, supportRole,
        };
        signing.AddTo(command, include: true);
        hardening.AddTo(command);
        registry.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, parseResult, async token =>
        {
            using var app = AppAssembly.Load(parseResult.GetRequiredValue(assembly));

            // The installer needs a data source to exist; Script() never opens it.
            var offline = NpgsqlDataSource.Create("Host=localhost");
            await using (offline.ConfigureAwait(false))
            {
                var installer = AccessLogCommand.WithSupportRole(registry.Configure(hardening.Configure(
                    CreateInstaller(offline, app, parseResult.GetRequiredValue(setting), parseResult.GetValue(grantTo), signing, parseResult), parseResult), parseResult),
                    parseResult, supportRole);
                if (parseResult.GetValue(citus))
                {
                    installer.UseCitus();
                }

                var script = installer.Script(signing.IncludeKey(parseResult));
                await context.Output.WriteAsync(script.AsMemory(), token).ConfigureAwait(false);
                if (!script.EndsWith('\n'))
                {
                    await context.Output.WriteLineAsync().ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }
        }, cancellationToken));
        return command;
    }

    private static PolicyInstaller CreateInstaller(
        NpgsqlDataSource dataSource, AppAssembly app, string setting, string? grantTo, SigningOptions signing, ParseResult parseResult)
    {
        var installer = new PolicyInstaller(dataSource, new TenantOptions { SettingName = setting }).AddAssembly(app.Assembly);
        if (grantTo is not null)
        {
            installer.GrantTo(grantTo);
        }

        return signing.Configure(installer, parseResult);
    }

    /// <summary><c>--registry [create-if-missing]</c>: <see cref="PolicyInstaller.UseTenantRegistry(TenantRegistryAccess)"/>.</summary>
    private sealed class RegistryOptions
    {
        private const string CreateIfMissing = "create-if-missing";

        private readonly Option<string?> _registry = new("--registry")
        {
            Description = "Also install the tenant registry (dapper_tenants.tenants) that 'dapper-tenants tenants' manages and TenantOptions.RequireRegisteredTenant reads; "
                + "the --grant-to role may only read it. With 'create-if-missing', also the SECURITY DEFINER function through which that role registers a missing tenant "
                + "(TenantOptions.CreateIfMissing).",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = CreateIfMissing,
        };

        public void AddTo(Command command)
        {
            _registry.AcceptOnlyFromAmong(CreateIfMissing);
            command.Options.Add(_registry);
        }

        /// <summary>How the model line names the registry, or <see langword="null"/> without <c>--registry</c>.</summary>
        public string? Describe(ParseResult parseResult) => Access(parseResult) switch
        {
            null => null,
            TenantRegistryAccess.CreateIfMissing => "tenant registry, create-if-missing",
            _ => "tenant registry",
        };

        public PolicyInstaller Configure(PolicyInstaller installer, ParseResult parseResult) =>
            Access(parseResult) is { } access ? installer.UseTenantRegistry(access) : installer;

        private TenantRegistryAccess? Access(ParseResult parseResult) => parseResult.GetResult(_registry) is null
            ? null
            : parseResult.GetValue(_registry) == CreateIfMissing ? TenantRegistryAccess.CreateIfMissing : TenantRegistryAccess.ReadOnly;
    }

    /// <summary><c>--harden</c> and <c>--keep-temporary</c>: <see cref="PolicyInstaller.Harden"/>.</summary>
    private sealed class HardeningOptions
    {
        private readonly Option<bool> _harden = new("--harden")
        {
            Description = "Also take from PUBLIC and the --grant-to role TEMPORARY on the database, CREATE on the tables' schemas and EXECUTE on the "
                + "built-ins that run SQL given as text (query_to_xml, ts_stat, ...). Changes the login may not make are printed with the SQL to run, and as whom.",
        };

        private readonly Option<string[]> _keep = new("--keep-temporary")
        {
            Description = "With --harden: a role that keeps TEMPORARY on the database (repeatable), such as a migration or reporting role.",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(_harden);
            command.Options.Add(_keep);
            command.Validators.Add(result =>
            {
                if (result.GetValue(_keep) is { Length: > 0 } && !result.GetValue(_harden))
                {
                    result.AddError("--keep-temporary needs --harden.");
                }
            });
        }

        public PolicyInstaller Configure(PolicyInstaller installer, ParseResult parseResult) =>
            parseResult.GetValue(_harden) ? installer.Harden(parseResult.GetValue(_keep) ?? []) : installer;
    }

    /// <summary>The signed context's options of plan, apply and script: a key from a variable or a file, its id, retirements.</summary>
    private sealed class SigningOptions
    {
        private readonly Option<string?> _env = CliOptions.SigningKeyEnv();
        private readonly Option<FileInfo> _file = CliOptions.SigningKeyFile();
        private readonly Option<string> _keyId = CliOptions.SigningKeyId();
        private readonly Option<string[]> _retire = CliOptions.RetireSigningKey();
        private readonly Option<bool> _include = new("--include-signing-key")
        {
            Description = "Write the key into the script instead of a placeholder. The script is then as secret as the key.",
        };

        private bool _withInclude;

        public void AddTo(Command command, bool include)
        {
            _withInclude = include;
            command.Options.Add(_env);
            command.Options.Add(_file);
            command.Options.Add(_keyId);
            command.Options.Add(_retire);
            if (include)
            {
                command.Options.Add(_include);
            }

            command.Validators.Add(result => CliOptions.ValidateSigningOptions(result, _env, _file, _keyId, _retire, include ? _include : null));
        }

        /// <summary>The key id when a key is given (the signed context), else <see langword="null"/>.</summary>
        public string? KeyIdOf(ParseResult parseResult) => Key(parseResult) is null ? null : parseResult.GetRequiredValue(_keyId);

        public bool IncludeKey(ParseResult parseResult) => _withInclude && parseResult.GetValue(_include);

        public PolicyInstaller Configure(PolicyInstaller installer, ParseResult parseResult)
        {
            if (Key(parseResult) is { } key)
            {
                installer.UseSignedContext(key, parseResult.GetRequiredValue(_keyId));
            }

            foreach (var keyId in parseResult.GetValue(_retire) ?? [])
            {
                installer.RetireSigningKey(keyId);
            }

            return installer;
        }

        // Validated at parse time (a bad key is exit 2), so reading it again here succeeds.
        private byte[]? Key(ParseResult parseResult)
        {
            if (parseResult.GetValue(_env) is { } name)
            {
                return SigningKeyInput.FromEnvironment(name, out _);
            }

            return parseResult.GetValue(_file) is { } file ? SigningKeyInput.FromFile(file, out _) : null;
        }
    }
}
