using System.Text.Json;
using System.Text.RegularExpressions;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Cli.Tests;

/// <summary>
/// <c>tenants list|create|disable|enable</c> against a real registry installed by the real installer, run as its owner;
/// the registry's own rules are <see cref="TenantRegistry"/>'s tests, these pin what the command shows and its exit codes.
/// </summary>
[Category(Categories.Database)]
public partial class TenantsCommandTests
{
    private TestDatabase _database = null!;
    private NpgsqlDataSource _owner = null!;
    private TenantRegistry _registry = null!;

    [OneTimeSetUp]
    public async Task CreateRegistryAsync()
    {
        _database = await TestServer.CreateDatabaseAsync("cli_tenants");
        _owner = _database.CreateOwnerDataSource();
        var plan = await new PolicyInstaller(_owner).UseTenantRegistry().GrantTo(_database.AppRole).ApplyAsync();
        plan.Errors.ShouldBeEmpty();
        _registry = new TenantRegistry(_owner);
    }

    [OneTimeTearDown]
    public async Task DropRegistryAsync()
    {
        await _owner.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Create_registers_an_active_tenant_and_says_so()
    {
        var run = await Tenants("create", "create_once");

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Err.ShouldBeEmpty();
        var lines = Lines(run.Out);
        lines.Length.ShouldBe(2, run.ToString());
        CreatedLine().IsMatch(lines[0]).ShouldBeTrue(lines[0]);
        lines[1].ShouldBe("Data sources with RequireRegisteredTenant open it at once.");
        (await _registry.FindAsync("create_once")).ShouldNotBeNull().State.ShouldBe(TenantState.Active);
    }

    [Test]
    public async Task Create_of_a_registered_tenant_exits_4_and_changes_nothing()
    {
        await _registry.CreateAsync("create_twice");
        await _registry.DisableAsync("create_twice", "unpaid");

        var run = await Tenants("create", "create_twice");

        run.ExitCode.ShouldBe(ExitCodes.TenantRefused, run.ToString());
        run.Out.ShouldBeEmpty();
        run.Err.ShouldBe("error: Tenant 'create_twice' is already in the tenant registry (disabled). "
            + "Enable it with 'dapper-tenants tenants enable create_twice' instead." + Environment.NewLine);
        (await _registry.FindAsync("create_twice")).ShouldNotBeNull().DisabledReason.ShouldBe("unpaid");

        await _registry.CreateAsync("create_active");
        var active = await Tenants("create", "create_active");
        active.ExitCode.ShouldBe(4, active.ToString());
        active.Err.ShouldBe("error: Tenant 'create_active' is already in the tenant registry (active). Nothing to do: it may open connections." + Environment.NewLine);
    }

    [Test]
    public async Task Create_with_json_writes_the_tenant_object()
    {
        var run = await Tenants("create", "create_json", "--json");

        run.ExitCode.ShouldBe(0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        root.EnumerateObject().Select(p => p.Name).ShouldBe(["schemaVersion", "tenant", "state", "createdAt", "disabledAt", "disabledReason"]);
        root.GetProperty("schemaVersion").GetInt32().ShouldBe(1);
        root.GetProperty("tenant").GetString().ShouldBe("create_json");
        root.GetProperty("state").GetString().ShouldBe("active");
        root.GetProperty("createdAt").GetString()!.ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$");
        root.GetProperty("createdAt").GetDateTimeOffset().ShouldBe((await _registry.FindAsync("create_json"))!.CreatedAt);
        root.GetProperty("disabledAt").ValueKind.ShouldBe(JsonValueKind.Null);
        root.GetProperty("disabledReason").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Test]
    public async Task Disable_records_the_reason_and_a_strict_data_source_then_refuses_the_tenant()
    {
        await _registry.CreateAsync("disable_me");
        await using var strict = _database.CreateTenantDataSource(configureOptions: o =>
        {
            o.RequireRegisteredTenant = true;
            o.RegistryRefreshInterval = TimeSpan.Zero;
        });
        await (await strict.OpenAsync("disable_me")).DisposeAsync();

        var run = await Tenants("disable", "disable_me", "--reason", "contract ended");

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Err.ShouldBeEmpty();
        var lines = Lines(run.Out);
        DisabledLine().Match(lines[0]).Groups["reason"].Value.ShouldBe("contract ended", lines[0]);
        lines[1].ShouldBe("Data sources with RequireRegisteredTenant refuse new connections for it within their RegistryRefreshInterval (5 s by default); "
            + "connections already open finish their lease.");
        var stored = (await _registry.FindAsync("disable_me")).ShouldNotBeNull();
        stored.State.ShouldBe(TenantState.Disabled);
        stored.DisabledReason.ShouldBe("contract ended");
        await Should.ThrowAsync<TenantNotFoundException>(async () => await strict.OpenAsync("disable_me"));
    }

    [Test]
    public async Task Disabling_a_disabled_tenant_keeps_its_first_reason_and_says_so()
    {
        await _registry.CreateAsync("disable_twice");
        (await Tenants("disable", "disable_twice", "--reason", "first")).ExitCode.ShouldBe(0);

        var run = await Tenants("disable", "disable_twice", "--reason", "second", "--json");
        var text = await Tenants("disable", "disable_twice", "--reason", "third");

        run.ExitCode.ShouldBe(0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        json.RootElement.GetProperty("state").GetString().ShouldBe("disabled");
        json.RootElement.GetProperty("disabledReason").GetString().ShouldBe("first");
        json.RootElement.GetProperty("disabledAt").GetDateTimeOffset().ShouldBe((await _registry.FindAsync("disable_twice"))!.DisabledAt!.Value);
        Lines(text.Out)[0].ShouldEndWith("reason: first). It was already disabled: the first reason and time stay, nothing changed.");
    }

    [Test]
    public async Task Enable_makes_a_disabled_tenant_active_and_a_strict_data_source_opens_it_again()
    {
        await _registry.CreateAsync("enable_me");
        await _registry.DisableAsync("enable_me", "paused");
        await using var strict = _database.CreateTenantDataSource(configureOptions: o =>
        {
            o.RequireRegisteredTenant = true;
            o.RegistryRefreshInterval = TimeSpan.Zero;
        });
        await Should.ThrowAsync<TenantNotFoundException>(async () => await strict.OpenAsync("enable_me"));

        var run = await Tenants("enable", "enable_me");

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldBe("Tenant 'enable_me' is active." + Environment.NewLine
            + "Data sources with RequireRegisteredTenant open it again within their RegistryRefreshInterval (5 s by default)." + Environment.NewLine);
        (await _registry.FindAsync("enable_me"))!.State.ShouldBe(TenantState.Active);
        await using var connection = await strict.OpenAsync("enable_me");
        connection.Tenant.ShouldBe("enable_me");
    }

    [TestCase("disable", "--reason", "gone")]
    [TestCase("enable")]
    public async Task An_unknown_tenant_exits_4_with_the_fix(params string[] command)
    {
        var run = await Tenants([command[0], "no_such_tenant", .. command[1..]]);
        var json = await Tenants([command[0], "no_such_tenant", .. command[1..], "--json"]);

        run.ExitCode.ShouldBe(ExitCodes.TenantRefused, run.ToString());
        run.Out.ShouldBeEmpty();
        const string Message = "Tenant 'no_such_tenant' is not in the tenant registry. Register it with 'dapper-tenants tenants create no_such_tenant', "
            + "or check the value: tenants are compared exactly, so case, whitespace and Unicode normalization matter.";
        run.Err.ShouldBe("error: " + Message + Environment.NewLine);
        json.ExitCode.ShouldBe(4, json.ToString());
        json.Err.ShouldBe(run.Err);
        using var error = JsonDocument.Parse(json.Out);
        error.RootElement.GetProperty("schemaVersion").GetInt32().ShouldBe(1);
        var body = error.RootElement.GetProperty("error");
        body.EnumerateObject().Select(p => p.Name).ShouldBe(["kind", "message", "tenant", "state"]);
        body.GetProperty("kind").GetString().ShouldBe("not-found");
        body.GetProperty("message").GetString().ShouldBe(Message);
        body.GetProperty("tenant").GetString().ShouldBe("no_such_tenant");
        body.GetProperty("state").ValueKind.ShouldBe(JsonValueKind.Null);
        (await _registry.ExistsAsync("no_such_tenant")).ShouldBeFalse();
    }

    [Test]
    public async Task A_purged_tenant_cannot_be_enabled_disabled_or_created_again()
    {
        await _registry.CreateAsync("purged_one");
        await _database.ExecuteAsOwnerAsync("update dapper_tenants.tenants set state = 'purged' where id = 'purged_one'");

        var enable = await Tenants("enable", "purged_one", "--json");
        var disable = await Tenants("disable", "purged_one", "--reason", "x");
        var create = await Tenants("create", "purged_one");

        enable.ExitCode.ShouldBe(4, enable.ToString());
        enable.Err.ShouldBe("error: Tenant 'purged_one' is purged: its data was deleted, so it cannot be enabled. "
            + "A purged identifier is not reused: use another tenant value." + Environment.NewLine);
        using (var json = JsonDocument.Parse(enable.Out))
        {
            json.RootElement.GetProperty("error").GetProperty("kind").GetString().ShouldBe("purged");
            json.RootElement.GetProperty("error").GetProperty("state").GetString().ShouldBe("purged");
            json.RootElement.GetProperty("error").GetProperty("tenant").GetString().ShouldBe("purged_one");
        }

        disable.ExitCode.ShouldBe(4, disable.ToString());
        disable.Err.ShouldStartWith("error: Tenant 'purged_one' is purged: its data was deleted, so it cannot be disabled.");
        create.ExitCode.ShouldBe(4, create.ToString());
        create.Err.ShouldBe("error: Tenant 'purged_one' is already in the tenant registry (purged). "
            + "Its data was purged and its identifier is not reused: use another tenant value." + Environment.NewLine);
        (await _registry.FindAsync("purged_one"))!.State.ShouldBe(TenantState.Purged);
    }

    [Test]
    public async Task A_tenant_whose_purge_did_not_finish_cannot_be_enabled_and_lists_as_purging()
    {
        await _registry.CreateAsync("half_purged");
        await _database.ExecuteAsOwnerAsync("update dapper_tenants.tenants set state = 'purging' where id = 'half_purged'");

        var enable = await Tenants("enable", "half_purged", "--json");
        var list = await Tenants("list", "--state", "purging", "--json");

        enable.ExitCode.ShouldBe(4, enable.ToString());
        enable.Err.ShouldBe("error: Tenant 'half_purged' is being purged: its purge started and has not finished, so it cannot be enabled. "
            + "Finish it with: dapper-tenants tenants purge half_purged --connection ..." + Environment.NewLine);
        using (var json = JsonDocument.Parse(enable.Out))
        {
            json.RootElement.GetProperty("error").GetProperty("kind").GetString().ShouldBe("purging");
            json.RootElement.GetProperty("error").GetProperty("state").GetString().ShouldBe("purging");
        }

        list.ExitCode.ShouldBe(0, list.ToString());
        using (var json = JsonDocument.Parse(list.Out))
        {
            json.RootElement.GetProperty("state").GetString().ShouldBe("purging");
            var rows = json.RootElement.GetProperty("tenants").EnumerateArray().ToList();
            rows.Select(r => r.GetProperty("tenant").GetString()).ShouldBe(["half_purged"]);
            rows[0].GetProperty("state").GetString().ShouldBe("purging");
        }

        (await _registry.FindAsync("half_purged"))!.State.ShouldBe(TenantState.Purging);
    }

    [Test]
    public async Task The_app_login_cannot_register_or_enable_a_tenant_through_the_command()
    {
        await _registry.CreateAsync("app_attack");
        await _registry.DisableAsync("app_attack", "fraud");

        var create = await CliRun.RunAsync("tenants", "create", "app_forged", "--connection", _database.AppConnectionString);
        var enable = await CliRun.RunAsync("tenants", "enable", "app_attack", "--connection", _database.AppConnectionString, "--json");

        create.ExitCode.ShouldBe(1, create.ToString());
        create.Err.ShouldStartWith($"error: The login '{_database.AppRole}' may not change the tenant registry (42501: permission denied for table tenants). "
            + "Use the connection string of the role that owns it");
        enable.ExitCode.ShouldBe(1, enable.ToString());
        using (var json = JsonDocument.Parse(enable.Out))
        {
            json.RootElement.GetProperty("error").GetProperty("kind").GetString().ShouldBe("failed");
        }

        (await _registry.ExistsAsync("app_forged")).ShouldBeFalse();
        (await _registry.FindAsync("app_attack"))!.State.ShouldBe(TenantState.Disabled);

        // Reading is what the app login may do.
        var list = await CliRun.RunAsync("tenants", "list", "--connection", _database.AppConnectionString, "--state", "disabled", "--json");
        list.ExitCode.ShouldBe(0, list.ToString());
    }

    [Test]
    public async Task A_tenant_value_with_control_characters_is_shown_escaped_and_stored_exactly()
    {
        const string Evil = "evil\u001b[2J\nroot\u202e";

        var run = await Tenants("create", Evil);
        var list = await Tenants("list", "--after", "evil");
        var json = await Tenants("list", "--after", "evil", "--json");

        run.ExitCode.ShouldBe(0, run.ToString());
        Lines(run.Out)[0].ShouldStartWith(@"Registered tenant 'evil\u001b[2J\u000aroot\u202e' (active, created ");
        list.Out.ShouldContain(@"evil\u001b[2J\u000aroot\u202e");
        foreach (var output in new[] { run.Out, list.Out })
        {
            output.ShouldNotContain("\u001b");
            output.ShouldNotContain("\u202e");
        }

        using var page = JsonDocument.Parse(json.Out);
        page.RootElement.GetProperty("tenants").EnumerateArray().Select(t => t.GetProperty("tenant").GetString()).ShouldContain(Evil);
        (await _registry.ExistsAsync(Evil)).ShouldBeTrue();
    }

    [TestCase("@acme")]
    [TestCase("-dash")]
    [TestCase("ACME ")]
    public async Task A_tenant_value_that_looks_like_a_file_or_an_option_is_stored_exactly(string tenant)
    {
        var run = await Tenants("create", tenant, "--json");

        run.ExitCode.ShouldBe(0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        json.RootElement.GetProperty("tenant").GetString().ShouldBe(tenant);
        (await _registry.ExistsAsync(tenant)).ShouldBeTrue();
    }

    [Test]
    public async Task A_tenant_value_named_like_an_option_is_given_after_a_double_dash()
    {
        var run = await CliRun.RunAsync("tenants", "create", "--connection", _database.OwnerConnectionString, "--json", "--", "--json");

        run.ExitCode.ShouldBe(0, run.ToString());
        (await _registry.ExistsAsync("--json")).ShouldBeTrue();
    }

    [Test]
    public async Task Without_the_registry_a_command_says_how_to_install_it()
    {
        await using var bare = await TestServer.CreateDatabaseAsync("cli_noreg");

        var run = await CliRun.RunAsync("tenants", "list", "--connection", bare.OwnerConnectionString);

        run.ExitCode.ShouldBe(1, run.ToString());
        run.Err.ShouldBe("error: The tenant registry is not installed in this database (42P01: relation \"dapper_tenants.tenants\" does not exist). "
            + "Install it as the tables' owner with 'dapper-tenants apply --assembly <App.dll> --connection \"…\" --registry' (PolicyInstaller.UseTenantRegistry())."
            + Environment.NewLine);
    }

    private static string[] Lines(string text) => text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    private Task<CliRun> Tenants(params string[] args) => CliRun.RunAsync(["tenants", .. args, "--connection", _database.OwnerConnectionString]);

    [GeneratedRegex(@"^Registered tenant 'create_once' \(active, created \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\)\.$")]
    private static partial Regex CreatedLine();

    [GeneratedRegex(@"^Tenant 'disable_me' is disabled \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, reason: (?<reason>.*)\)\.$")]
    private static partial Regex DisabledLine();
}
