using System.Text.Json;
using System.Text.RegularExpressions;
using DapperTenants.Testing;
using DapperTenants.Tests.Readme;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Cli.Tests;

/// <summary><c>tenants list</c> on a registry of its own (the order and the pages are exact), and <c>--registry</c> of plan, apply and script.</summary>
[Category(Categories.Database)]
public partial class TenantsListTests
{
    [Test]
    public async Task List_shows_one_page_in_byte_order_with_the_cursor_of_the_next()
    {
        await using var database = await RegistryAsync("cli_list");
        await using var owner = database.CreateOwnerDataSource();
        var registry = new TenantRegistry(owner);
        foreach (var tenant in new[] { "globex", "acme", "Zeta", "initech" })
        {
            await registry.CreateAsync(tenant);
        }

        await registry.DisableAsync("globex", "unpaid | invoice [7]");
        Task<CliRun> List(params string[] args) => CliRun.RunAsync(["tenants", "list", "--connection", database.OwnerConnectionString, .. args]);

        var all = await List();
        all.ExitCode.ShouldBe(0, all.ToString());
        all.Err.ShouldBeEmpty();
        Times().Replace(all.Out, "YYYY-MM-DD hh:mm:ssZ").ShouldBe("""
            | Tenant  | State    | Created              | Disabled             | Reason                |
            | ------- | -------- | -------------------- | -------------------- | --------------------- |
            | Zeta    | active   | YYYY-MM-DD hh:mm:ssZ |                      |                       |
            | acme    | active   | YYYY-MM-DD hh:mm:ssZ |                      |                       |
            | globex  | disabled | YYYY-MM-DD hh:mm:ssZ | YYYY-MM-DD hh:mm:ssZ | unpaid \| invoice [7] |
            | initech | active   | YYYY-MM-DD hh:mm:ssZ |                      |                       |
            4 tenants.

            """.Replace("\n", Environment.NewLine, StringComparison.Ordinal));

        var first = await List("--page-size", "2");
        var rows = Rows(all.Out);
        Rows(first.Out).ShouldBe([rows[0], rows[1], rows[2], rows[3], "2 tenants; more follow: run the same command with --after acme"]);
        var second = await List("--page-size", "2", "--after", "acme");
        Rows(second.Out).ShouldBe([rows[0], rows[1], rows[4], rows[5], "2 tenants."]);
        var past = await List("--after", "initech");
        past.Out.ShouldBe("No tenants after that tenant." + Environment.NewLine);

        var disabled = await List("--state", "disabled");
        Lines(disabled.Out)[^1].ShouldBe("1 disabled tenant.");
        (await List("--state", "purged")).Out.ShouldBe("No purged tenants in the registry." + Environment.NewLine);
    }

    [Test]
    [NonParallelizable]
    public async Task The_tenants_transcript_in_the_docs_is_a_run_of_the_commands()
    {
        await using var database = await RegistryAsync("cli_tenants_doc");
        var transcript = new System.Text.StringBuilder();
        async Task<CliRun> Step(string shown, params string[] args)
        {
            var run = await CliRun.RunAsync(["tenants", .. args, "--connection", database.OwnerConnectionString]);
            transcript.Append("$ dapper-tenants tenants ").Append(shown).Append(" --connection \"$OWNER\"");
            transcript.Append(run.ExitCode == 0 ? "\n" + run.Out : "; echo $?\n" + run.Err + run.ExitCode + "\n");
            return run;
        }

        (await Step("create acme", "create", "acme")).ExitCode.ShouldBe(0);
        (await Step("create globex", "create", "globex")).ExitCode.ShouldBe(0);
        (await Step("disable globex --reason \"contract ended\"", "disable", "globex", "--reason", "contract ended")).ExitCode.ShouldBe(0);
        (await Step("list", "list")).ExitCode.ShouldBe(0);
        (await Step("create globex", "create", "globex")).ExitCode.ShouldBe(ExitCodes.TenantRefused);

        ReadmeFile.ShouldMatch("tenants", transcript.ToString().Replace(Environment.NewLine, "\n", StringComparison.Ordinal), text => Times().Replace(text, "YYYY-MM-DD hh:mm:ssZ"));
    }

    [Test]
    public async Task List_with_json_writes_the_page_and_its_next_cursor()
    {
        await using var database = await RegistryAsync("cli_listjson");
        await using var owner = database.CreateOwnerDataSource();
        var registry = new TenantRegistry(owner);
        foreach (var tenant in new[] { "a", "b", "c" })
        {
            await registry.CreateAsync(tenant);
        }

        await registry.DisableAsync("b", "why");
        var run = await CliRun.RunAsync("tenants", "list", "--connection", database.OwnerConnectionString, "--page-size", "2", "--json");
        var disabled = await CliRun.RunAsync("tenants", "list", "--connection", database.OwnerConnectionString, "--state", "disabled", "--json");

        run.ExitCode.ShouldBe(0, run.ToString());
        using var page = JsonDocument.Parse(run.Out);
        page.RootElement.EnumerateObject().Select(p => p.Name).ShouldBe(["schemaVersion", "state", "tenants", "next"]);
        page.RootElement.GetProperty("schemaVersion").GetInt32().ShouldBe(1);
        page.RootElement.GetProperty("state").ValueKind.ShouldBe(JsonValueKind.Null);
        page.RootElement.GetProperty("next").GetString().ShouldBe("b");
        var tenants = page.RootElement.GetProperty("tenants").EnumerateArray().ToList();
        tenants.Select(t => t.GetProperty("tenant").GetString()).ShouldBe(["a", "b"]);
        tenants[0].EnumerateObject().Select(p => p.Name).ShouldBe(["tenant", "state", "createdAt", "disabledAt", "disabledReason"]);
        tenants[1].GetProperty("state").GetString().ShouldBe("disabled");
        tenants[1].GetProperty("disabledReason").GetString().ShouldBe("why");
        tenants[1].GetProperty("disabledAt").GetDateTimeOffset().ShouldBe((await registry.FindAsync("b"))!.DisabledAt!.Value);

        using var only = JsonDocument.Parse(disabled.Out);
        only.RootElement.GetProperty("state").GetString().ShouldBe("disabled");
        only.RootElement.GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);
        only.RootElement.GetProperty("tenants").GetArrayLength().ShouldBe(1);
    }

    [Test]
    public async Task Apply_with_registry_installs_it_and_plan_with_registry_then_finds_no_drift()
    {
        await using var database = await TestServer.CreateDatabaseAsync("cli_applyreg");
        await database.ExecuteAsOwnerAsync(Tables);
        string[] Installer(string verb, params string[] more) =>
            [verb, "--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString, "--grant-to", database.AppRole, .. more];

        var before = await CliRun.RunAsync(Installer("plan", "--registry"));
        var apply = await CliRun.RunAsync(Installer("apply", "--registry"));
        var plan = await CliRun.RunAsync(Installer("plan", "--registry"));

        before.ExitCode.ShouldBe(1, before.ToString());
        before.Out.ShouldContain("| \"dapper_tenants\".\"tenants\" | tenant registry missing", Case.Sensitive, before.ToString());
        apply.ExitCode.ShouldBe(0, apply.ToString());
        Lines(apply.Out)[0].ShouldEndWith("(setting dapper_tenants.tenant, tenant registry)");
        plan.ExitCode.ShouldBe(0, plan.ToString());
        plan.Out.ShouldContain("No drift: the database matches the [Rls] types.");
        (await CliRun.RunAsync("tenants", "create", "acme", "--connection", database.OwnerConnectionString)).ExitCode.ShouldBe(0);
        (await CreateMissingFunctionExistsAsync(database)).ShouldBeFalse("read-only by default");

        var createIfMissing = await CliRun.RunAsync(Installer("apply", "--registry", "create-if-missing"));
        createIfMissing.ExitCode.ShouldBe(0, createIfMissing.ToString());
        Lines(createIfMissing.Out)[0].ShouldEndWith("(setting dapper_tenants.tenant, tenant registry, create-if-missing)");
        (await CreateMissingFunctionExistsAsync(database)).ShouldBeTrue();
    }

    [Test]
    public async Task Script_with_registry_adds_the_registry_section_only_when_asked()
    {
        var plain = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--grant-to", "app_login");
        var registry = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--grant-to", "app_login", "--registry");
        var creating = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--grant-to", "app_login", "--registry", "create-if-missing");

        plain.Out.ShouldNotContain("dapper_tenants.tenants");
        registry.ExitCode.ShouldBe(0, registry.ToString());
        registry.Out.ShouldContain("-- Tenant registry (PolicyInstaller.UseTenantRegistry())");
        registry.Out.ShouldNotContain("CREATE OR REPLACE FUNCTION \"dapper_tenants\".\"create_missing_tenant\"");
        creating.ExitCode.ShouldBe(0, creating.ToString());
        creating.Out.ShouldContain("GRANT EXECUTE ON FUNCTION \"dapper_tenants\".\"create_missing_tenant\"(pg_catalog.text) TO \"app_login\";");
    }

    private const string Tables = """
        create table invoices (tenant text not null, id int not null, amount numeric(10,2) not null, primary key (tenant, id));
        create table projects (tenant_id text not null, id int not null, name text not null, primary key (tenant_id, id));
        """;

    private static async Task<TestDatabase> RegistryAsync(string name)
    {
        var database = await TestServer.CreateDatabaseAsync(name);
        await using var owner = database.CreateOwnerDataSource();
        (await new PolicyInstaller(owner).UseTenantRegistry().GrantTo(database.AppRole).ApplyAsync()).Errors.ShouldBeEmpty();
        return database;
    }

    private static async Task<bool> CreateMissingFunctionExistsAsync(TestDatabase database)
    {
        await using var admin = NpgsqlDataSource.Create(database.AdminConnectionString);
        await using var command = admin.CreateCommand("select to_regprocedure('dapper_tenants.create_missing_tenant(text)') is not null");
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private static string[] Lines(string text) => text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The lines without the padding and the dashes, which depend on the widest cell of each page.</summary>
    private static string[] Rows(string text) => [.. Lines(text).Select(line => Padding().Replace(line, " "))];

    [GeneratedRegex(" {2,}|-{3,}")]
    private static partial Regex Padding();

    [GeneratedRegex(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ")]
    private static partial Regex Times();
}
