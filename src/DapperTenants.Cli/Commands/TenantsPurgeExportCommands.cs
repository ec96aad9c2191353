using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DapperTenants.Cli.Installer;
using Npgsql;
using Spectre.Console;

namespace DapperTenants.Cli.Commands;

/// <summary>
/// <c>tenants purge</c> and <c>tenants export</c>: thin shells over <see cref="TenantRegistry.PlanPurgeAsync"/>,
/// <see cref="TenantRegistry.PurgeAsync(TenantPurgePlan, IProgress{TenantPurgeProgress}?, CancellationToken)"/> and
/// <see cref="TenantRegistry.ExportAsync"/>, run as the tables' owner.
/// </summary>
internal static class TenantsPurgeExportCommands
{
    private const string ConnectionHelp =
        "A connection string for the role that owns the tables and the tenant registry, such as 'Host=db;Database=app;Username=app_owner;Password=...'.";

    /// <summary>Adds <c>purge</c> and <c>export</c> to the <c>tenants</c> command, and returns it.</summary>
    public static Command AddTo(Command tenants, CliContext context)
    {
        tenants.Subcommands.Add(CreatePurge(context));
        tenants.Subcommands.Add(CreateExport(context));
        return tenants;
    }

    private static Command CreatePurge(CliContext context)
    {
        var shared = new SharedOptions();
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be deleted, per table, and delete nothing." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Purge without asking. Needed when standard input is not a terminal (scripts, CI)." };
        var chunkSize = new Option<int>("--chunk-size")
        {
            Description = $"Rows per delete, each in its own short transaction (1 to {TenantRegistry.MaxPurgeChunkSize}).",
            DefaultValueFactory = _ => TenantRegistry.DefaultPurgeChunkSize,
            HelpName = "N",
        };
        chunkSize.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > TenantRegistry.MaxPurgeChunkSize)
            {
                result.AddError($"--chunk-size must be between 1 and {TenantRegistry.MaxPurgeChunkSize}.");
            }
        });
        var command = new Command("purge",
            "Delete every row of a disabled tenant from every protected table, in chunks, children before parents, then mark it purged. "
            + "Resumable: run it again after a failure or Ctrl+C.")
        {
            dryRun, yes, chunkSize,
        };
        shared.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, parseResult, async token =>
        {
            var tenant = parseResult.GetRequiredValue(shared.Tenant);
            var json = parseResult.GetValue(shared.Json);
            var dataSource = NpgsqlDataSource.Create(parseResult.GetRequiredValue(shared.Connection));
            await using (dataSource.ConfigureAwait(false))
            {
                var registry = new TenantRegistry(dataSource, shared.Options(parseResult)) { PurgeChunkSize = parseResult.GetValue(chunkSize) };
                var plan = await registry.PlanPurgeAsync(tenant, token).ConfigureAwait(false);
                if (parseResult.GetValue(dryRun))
                {
                    await WritePlanAsync(context, plan, json, deleted: null).ConfigureAwait(false);
                    return ExitCodes.Success;
                }

                if (!parseResult.GetValue(yes))
                {
                    if (context.TerminalInput is not { } input)
                    {
                        await context.Error.WriteLineAsync(
                            $"error: refusing to purge tenant '{tenant}' ({plan.TotalRows} rows) without confirmation: standard input is not a terminal. "
                            + "Run with --dry-run to see what would go, and with --yes to purge without asking.").ConfigureAwait(false);
                        return ExitCodes.Usage;
                    }

                    if (!json)
                    {
                        WritePlanText(context, plan);
                    }

                    await context.Output.WriteAsync($"Type the tenant's name ({tenant}) to delete its {plan.TotalRows} rows for good: ").ConfigureAwait(false);
                    await context.Output.FlushAsync(token).ConfigureAwait(false);
                    if (await input.ReadLineAsync(token).ConfigureAwait(false) != tenant)
                    {
                        await context.Error.WriteLineAsync($"error: not confirmed; nothing of tenant '{tenant}' was deleted.").ConfigureAwait(false);
                        return ExitCodes.Failure;
                    }
                }

                var result = context.IsTerminal && !json
                    ? await PurgeWithProgressAsync(context, registry, plan, token).ConfigureAwait(false)
                    : await registry.PurgeAsync(plan, null, token).ConfigureAwait(false);
                await WritePlanAsync(context, plan, json, result.RowsDeleted).ConfigureAwait(false);
                return ExitCodes.Success;
            }
        }, cancellationToken));
        return command;
    }

    private static Command CreateExport(CliContext context)
    {
        var shared = new SharedOptions();
        var output = new Option<FileInfo>("--out", "-o") { Description = "The archive to write (a zip); it must not exist yet.", Required = true, HelpName = "FILE" };
        var command = new Command("export",
            "Write every protected table's rows of one tenant, read through its own policies, into a zip: one file per table in PostgreSQL's COPY text format and manifest.json.")
        {
            output,
        };
        shared.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, parseResult, async token =>
        {
            var tenant = parseResult.GetRequiredValue(shared.Tenant);
            var file = parseResult.GetRequiredValue(output);
            if (file.Exists)
            {
                throw new CliException($"{file.FullName} exists already; the export never overwrites a file. Choose another --out, or delete it first.");
            }

            var dataSource = NpgsqlDataSource.Create(parseResult.GetRequiredValue(shared.Connection));
            await using (dataSource.ConfigureAwait(false))
            {
                var registry = new TenantRegistry(dataSource, shared.Options(parseResult));
                TenantArchive archive;
                try
                {
                    var stream = new FileStream(file.FullName, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
                    await using (stream.ConfigureAwait(false))
                    {
                        archive = await registry.ExportAsync(tenant, stream, token).ConfigureAwait(false);
                    }
                }
                catch
                {
                    // An incomplete archive is worse than none.
                    File.Delete(file.FullName);
                    throw;
                }

                await WriteArchiveAsync(context, archive, file, parseResult.GetValue(shared.Json)).ConfigureAwait(false);
                return ExitCodes.Success;
            }
        }, cancellationToken));
        return command;
    }

    private static async Task<TenantPurgeResult> PurgeWithProgressAsync(CliContext context, TenantRegistry registry, TenantPurgePlan plan, CancellationToken token) =>
        await context.Console.Progress().StartAsync(async progress =>
        {
            var bar = progress.AddTask(Markup.Escape($"Purging tenant '{plan.Tenant}'"), maxValue: Math.Max(1, plan.TotalRows));
            var reporter = new Reporter(p =>
            {
                bar.MaxValue = Math.Max(1, p.RowsPlanned);
                bar.Value = p.RowsDeleted;
                bar.Description = Markup.Escape($"{p.Table} ({p.Step}/{p.Steps})");
            });
            return await registry.PurgeAsync(plan, reporter, token).ConfigureAwait(false);
        }).ConfigureAwait(false);

    private static async Task WritePlanAsync(CliContext context, TenantPurgePlan plan, bool json, long? deleted)
    {
        if (json)
        {
            await context.Output.WriteLineAsync(PlanJson(plan, deleted)).ConfigureAwait(false);
            return;
        }

        if (deleted is null)
        {
            WritePlanText(context, plan);
            context.Console.WriteLine("Dry run: nothing was deleted.");
            return;
        }

        context.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Purged tenant '{plan.Tenant}': {deleted} rows deleted from {plan.Steps.Count} tables; its registry state is purged."));
    }

    private static void WritePlanText(CliContext context, TenantPurgePlan plan)
    {
        context.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Purge of tenant '{plan.Tenant}' ({State(plan.State)}): {plan.TotalRows} rows in {plan.Steps.Count} tables, deleted in this order:"));
        var table = context.CreateTable("#", "Table", "Tenant column", "Rows");
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(step.Table), Markup.Escape(step.TenantColumn), step.Rows.ToString(CultureInfo.InvariantCulture));
        }

        context.Write(table);
    }

    private static async Task WriteArchiveAsync(CliContext context, TenantArchive archive, FileInfo file, bool json)
    {
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteString("tenant", archive.Tenant);
                writer.WriteString("file", file.FullName);
                writer.WriteNumber("formatVersion", archive.FormatVersion);
                writer.WriteNumber("totalRows", archive.TotalRows);
                writer.WriteStartArray("tables");
                foreach (var table in archive.Tables)
                {
                    writer.WriteStartObject();
                    writer.WriteString("schema", table.Schema);
                    writer.WriteString("table", table.Table);
                    writer.WriteString("file", table.File);
                    writer.WriteNumber("rows", table.Rows);
                    writer.WriteString("sha256", table.Sha256);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            await context.Output.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
            return;
        }

        context.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Exported tenant '{archive.Tenant}': {archive.TotalRows} rows in {archive.Tables.Count} tables to {file.FullName}."));
        var rows = context.CreateTable("File", "Table", "Rows", "SHA-256");
        foreach (var table in archive.Tables)
        {
            rows.AddRow(Markup.Escape(table.File), Markup.Escape(table.Schema + "." + table.Table), table.Rows.ToString(CultureInfo.InvariantCulture), table.Sha256);
        }

        context.Write(rows);
    }

    private static string PlanJson(TenantPurgePlan plan, long? deleted)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("tenant", plan.Tenant);
            writer.WriteString("state", deleted is null ? State(plan.State) : "purged");
            writer.WriteBoolean("dryRun", deleted is null);
            writer.WriteNumber("totalRows", plan.TotalRows);
            if (deleted is { } rows)
            {
                writer.WriteNumber("rowsDeleted", rows);
            }

            writer.WriteStartArray("tables");
            foreach (var step in plan.Steps)
            {
                writer.WriteStartObject();
                writer.WriteString("table", step.Table);
                writer.WriteString("tenantColumn", step.TenantColumn);
                writer.WriteNumber("rows", step.Rows);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string State(TenantState state) => state.ToString().ToLowerInvariant();

    /// <summary>Reports on the purge's thread, so the bar moves with every chunk.</summary>
    private sealed class Reporter(Action<TenantPurgeProgress> report) : IProgress<TenantPurgeProgress>
    {
        public void Report(TenantPurgeProgress value) => report(value);
    }

    /// <summary>What both commands take: the tenant, the owner's connection, the setting, the signing key, --json.</summary>
    private sealed class SharedOptions
    {
        public Argument<string> Tenant { get; } = new("tenant") { Description = "The tenant value, exactly as registered." };

        public Option<string> Connection { get; } = CliOptions.Connection(ConnectionHelp);

        public Option<bool> Json { get; } = new("--json") { Description = "Write the result as JSON instead of text." };

        private readonly Option<string> _setting = CliOptions.Setting();
        private readonly Option<string?> _env = CliOptions.SigningKeyEnv();
        private readonly Option<FileInfo> _file = CliOptions.SigningKeyFile();
        private readonly Option<string> _keyId = CliOptions.SigningKeyId();

        public void AddTo(Command command)
        {
            command.Arguments.Add(Tenant);
            command.Options.Add(Connection);
            command.Options.Add(_setting);
            command.Options.Add(_env);
            command.Options.Add(_file);
            command.Options.Add(_keyId);
            command.Options.Add(Json);
            command.Validators.Add(result =>
            {
                if (result.GetResult(_env) is not null && result.GetResult(_file) is not null)
                {
                    result.AddError("--signing-key-env and --signing-key-file are two sources for one key: give one.");
                }
            });
        }

        /// <summary>The application's options as far as the purge and the export need them: the setting and, for a signed install, the key.</summary>
        public TenantOptions Options(ParseResult parseResult)
        {
            // Validated at parse time (a bad key is exit 2), so reading it again here succeeds.
            var key = parseResult.GetValue(_env) is { } name ? SigningKeyInput.FromEnvironment(name, out _)
                : parseResult.GetValue(_file) is { } file ? SigningKeyInput.FromFile(file, out _)
                : null;
            return new TenantOptions { SettingName = parseResult.GetRequiredValue(_setting), SigningKey = key, SigningKeyId = parseResult.GetRequiredValue(_keyId) };
        }
    }
}
