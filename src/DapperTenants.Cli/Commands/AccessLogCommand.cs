using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using Spectre.Console;

namespace DapperTenants.Cli.Commands;

/// <summary><c>access-log</c>: the support sessions of <see cref="SupportAccessLog"/>, newest first, as a table or JSON.</summary>
internal static class AccessLogCommand
{
    /// <summary>Bumped only when a field is removed or changes meaning; new fields may appear in any version.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create(CliContext context)
    {
        var connection = CliOptions.Connection(
            "A connection string for the role that owns the access log (the installer's login), such as 'Host=db;Database=app;Username=app_owner;Password=...'.");
        var actor = new Option<string?>("--actor") { Description = "Only the sessions of this actor (exact match)." };
        var tenant = new Option<string?>("--tenant") { Description = "Only the sessions that could see this tenant (scoped to it, or to all tenants)." };
        var since = new Option<DateTimeOffset?>("--since")
        {
            Description = "Only the sessions started at or after this instant (ISO 8601, such as 2026-12-01 or 2026-12-01T08:00:00Z; UTC unless an offset is given).",
            HelpName = "ISO",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
                {
                    return value;
                }

                result.AddError($"--since '{text}' is not an ISO 8601 date or instant, such as 2026-12-01 or 2026-12-01T08:00:00Z.");
                return null;
            },
        };
        var limit = new Option<int>("--limit")
        {
            Description = $"The most sessions to show, newest first (1 to {SupportAccessQuery.MaxLimit}).",
            DefaultValueFactory = _ => 100,
        };
        limit.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value is < 1 or > SupportAccessQuery.MaxLimit)
            {
                result.AddError($"--limit {value} is out of range: give 1 to {SupportAccessQuery.MaxLimit}.");
            }
        });
        var json = new Option<bool>("--json") { Description = $"Write the sessions (or writes) as JSON (schemaVersion {SchemaVersion}) instead of a table." };
        var writes = new Option<bool>("--writes")
        {
            Description = "List the write log instead: one row per statement a write-allowed session sent, with its session and transaction "
                + "(--actor and --tenant filter by the session, --since and --limit by the write).",
        };

        var command = new Command("access-log", "Show the support access log (PolicyInstaller.UseSupportAccess): who opened which support session, why, over which tenants.")
        {
            connection, actor, tenant, since, limit, json, writes,
        };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, parseResult, async token =>
        {
            var dataSource = NpgsqlDataSource.Create(parseResult.GetRequiredValue(connection));
            await using (dataSource.ConfigureAwait(false))
            {
                var query = new SupportAccessQuery
                {
                    Actor = parseResult.GetValue(actor),
                    Tenant = parseResult.GetValue(tenant),
                    Since = parseResult.GetValue(since),
                    Limit = parseResult.GetValue(limit),
                };
                if (parseResult.GetValue(writes))
                {
                    var rows = await ReadAsync(() => new SupportAccessLog(dataSource).ReadWritesAsync(query, token)).ConfigureAwait(false);
                    if (parseResult.GetValue(json))
                    {
                        await context.Output.WriteLineAsync(ToJson(rows)).ConfigureAwait(false);
                    }
                    else
                    {
                        WriteTable(context, rows);
                    }

                    return ExitCodes.Success;
                }

                var entries = await ReadAsync(() => new SupportAccessLog(dataSource).ReadAsync(query, token)).ConfigureAwait(false);
                if (parseResult.GetValue(json))
                {
                    await context.Output.WriteLineAsync(ToJson(entries)).ConfigureAwait(false);
                }
                else
                {
                    WriteTable(context, entries);
                }

                return ExitCodes.Success;
            }
        }, cancellationToken));
        return command;
    }

    /// <summary><c>--support-role</c> of plan, apply and script: <see cref="PolicyInstaller.UseSupportAccess"/>.</summary>
    public static Option<string?> SupportRoleOption()
    {
        var option = new Option<string?>("--support-role")
        {
            Description = "Also install support access for this NOLOGIN role (operators' logins are its members): the append-only access log, "
                + "its SECURITY DEFINER functions, and policies that admit the role to the tenants of its own logged session only. See docs/support-access.md.",
            HelpName = "ROLE",
        };
        option.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string?>()))
            {
                result.AddError("--support-role needs a role name.");
            }
        });
        return option;
    }

    public static PolicyInstaller WithSupportRole(PolicyInstaller installer, ParseResult parseResult, Option<string?> supportRole) =>
        parseResult.GetValue(supportRole) is { } role ? installer.UseSupportAccess(role) : installer;

    private static async Task<IReadOnlyList<T>> ReadAsync<T>(Func<Task<IReadOnlyList<T>>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            throw new CliException("The database has no support access log (dapper_tenants.access_log). Install it with PolicyInstaller.UseSupportAccess(\"<support role>\").");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CliException($"{e.MessageText}. Only the log's owner may read it: connect as the installer's login.");
        }
    }

    internal static string ToJson(IReadOnlyList<SupportAccessEntry> entries) => JsonSerializer.Serialize(
        new JsonLog(SchemaVersion, [.. entries.Select(e => new JsonEntry(
            e.Id, e.Actor, e.Reason, e.AllTenants, e.Tenants, e.AllowWrites, e.StartedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            e.Login, e.BackendPid, e.ClientAddress, e.ApplicationName))]), JsonOptions);

    internal static string ToJson(IReadOnlyList<SupportAccessWrite> writes) => JsonSerializer.Serialize(
        new JsonWrites(SchemaVersion, [.. writes.Select(w => new JsonWrite(
            w.Id, w.SessionId, w.Actor, w.At.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), w.TransactionId, w.Statement))]), JsonOptions);

    private static void WriteTable(CliContext context, IReadOnlyList<SupportAccessWrite> writes)
    {
        if (writes.Count == 0)
        {
            context.Console.MarkupLine("No support write matches.");
            return;
        }

        var table = new Table { Border = context.TableBorder };
        foreach (var column in new[] { "id", "at (UTC)", "session", "actor", "transaction", "statement" })
        {
            table.AddColumn(column);
        }

        foreach (var w in writes)
        {
            table.AddRow(
                w.Id.ToString(CultureInfo.InvariantCulture),
                w.At.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                w.SessionId.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(w.Actor),
                w.TransactionId.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(w.Statement));
        }

        context.Write(table);
    }

    private static void WriteTable(CliContext context, IReadOnlyList<SupportAccessEntry> entries)
    {
        if (entries.Count == 0)
        {
            context.Console.MarkupLine("No support session matches.");
            return;
        }

        var table = new Table { Border = context.TableBorder };
        foreach (var column in new[] { "id", "started (UTC)", "actor", "tenants", "writes", "login", "reason" })
        {
            table.AddColumn(column);
        }

        foreach (var e in entries)
        {
            table.AddRow(
                e.Id.ToString(CultureInfo.InvariantCulture),
                e.StartedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                Markup.Escape(e.Actor),
                Markup.Escape(e.AllTenants ? "all tenants" : string.Join(", ", e.Tenants)),
                e.AllowWrites ? "yes" : "no",
                Markup.Escape(e.Login),
                Markup.Escape(e.Reason));
        }

        context.Write(table);
    }

    private sealed record JsonLog(
        [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
        [property: JsonPropertyName("sessions")] IReadOnlyList<JsonEntry> Sessions);

    private sealed record JsonEntry(
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("actor")] string Actor,
        [property: JsonPropertyName("reason")] string Reason,
        [property: JsonPropertyName("allTenants")] bool AllTenants,
        [property: JsonPropertyName("tenants")] IReadOnlyList<string> Tenants,
        [property: JsonPropertyName("allowWrites")] bool AllowWrites,
        [property: JsonPropertyName("startedAt")] string StartedAt,
        [property: JsonPropertyName("login")] string Login,
        [property: JsonPropertyName("backendPid")] int BackendPid,
        [property: JsonPropertyName("clientAddress")] string? ClientAddress,
        [property: JsonPropertyName("applicationName")] string? ApplicationName);

    private sealed record JsonWrites(
        [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
        [property: JsonPropertyName("writes")] IReadOnlyList<JsonWrite> Writes);

    private sealed record JsonWrite(
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("sessionId")] long SessionId,
        [property: JsonPropertyName("actor")] string Actor,
        [property: JsonPropertyName("at")] string At,
        [property: JsonPropertyName("transactionId")] ulong TransactionId,
        [property: JsonPropertyName("statement")] string Statement);
}
