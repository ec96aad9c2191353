using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Registry;

/// <summary><see cref="TenantRegistry"/> as the owner: create, disable, enable, find, exists and list, sync and async.</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class TenantRegistryTests(SyncOrAsync mode)
{
    private RegistryDatabase _db = null!;

    private TenantRegistry Registry => _db.Registry;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await RegistryDatabase.CreateAsync("registry_api_" + mode.ToString().ToLowerInvariant());

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private bool Sync => mode == SyncOrAsync.Sync;

    private async Task<TenantInfo> CreateAsync(string t) => Sync ? Registry.Create(t) : await Registry.CreateAsync(t);

    private async Task<TenantInfo> DisableAsync(string t, string reason) => Sync ? Registry.Disable(t, reason) : await Registry.DisableAsync(t, reason);

    private async Task<TenantInfo> EnableAsync(string t) => Sync ? Registry.Enable(t) : await Registry.EnableAsync(t);

    private async Task<TenantInfo?> FindAsync(string t) => Sync ? Registry.Find(t) : await Registry.FindAsync(t);

    private async Task<bool> ExistsAsync(string t) => Sync ? Registry.Exists(t) : await Registry.ExistsAsync(t);

    private async Task<TenantPage> ListAsync(TenantState? state, string? after, int size) =>
        Sync ? Registry.List(state, after, size) : await Registry.ListAsync(state, after, size);

    private static async Task<T> ThrowsAsync<T>(Func<Task> call)
        where T : Exception => await Should.ThrowAsync<T>(call);

    [Test]
    public async Task A_created_tenant_is_active_and_exists()
    {
        var tenant = "created_" + mode;
        (await ExistsAsync(tenant)).ShouldBeFalse("the control");
        var created = await CreateAsync(tenant);
        created.Tenant.ShouldBe(tenant);
        created.State.ShouldBe(TenantState.Active);
        created.DisabledAt.ShouldBeNull();
        created.CreatedAt.ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        (await ExistsAsync(tenant)).ShouldBeTrue();
        (await ExistsAsync(tenant.ToUpperInvariant())).ShouldBeFalse("compared exactly");
    }

    [Test]
    public async Task Creating_a_tenant_twice_names_it_and_its_state()
    {
        var tenant = "twice_" + mode;
        await CreateAsync(tenant);
        var duplicate = await ThrowsAsync<TenantAlreadyExistsException>(() => CreateAsync(tenant));
        duplicate.Message.ShouldBe($"Tenant '{tenant}' is already in the tenant registry (active). Nothing to do: it may open connections.");
        duplicate.State.ShouldBe(TenantState.Active);
        await DisableAsync(tenant, "test");
        (await ThrowsAsync<TenantAlreadyExistsException>(() => CreateAsync(tenant))).Message
            .ShouldBe($"Tenant '{tenant}' is already in the tenant registry (disabled). Enable it with TenantRegistry.EnableAsync(\"{tenant}\") instead.");
    }

    [Test]
    public async Task Disabling_records_when_and_why_and_enabling_clears_it()
    {
        var tenant = "toggle_" + mode;
        await CreateAsync(tenant);
        var disabled = await DisableAsync(tenant, "chargeback");
        disabled.State.ShouldBe(TenantState.Disabled);
        disabled.DisabledReason.ShouldBe("chargeback");
        disabled.DisabledAt.ShouldNotBeNull();
        var again = await DisableAsync(tenant, "second reason");
        again.DisabledReason.ShouldBe("chargeback", "disabling a disabled tenant changes nothing");
        again.DisabledAt.ShouldBe(disabled.DisabledAt);
        var enabled = await EnableAsync(tenant);
        enabled.State.ShouldBe(TenantState.Active);
        enabled.DisabledAt.ShouldBeNull();
        enabled.DisabledReason.ShouldBeNull();
        (await EnableAsync(tenant)).State.ShouldBe(TenantState.Active, "enabling an active tenant changes nothing");
    }

    [Test]
    public async Task Disabling_or_enabling_an_unknown_tenant_names_it()
    {
        const string message = "Tenant 'nobody' is not in the tenant registry. Register it with TenantRegistry.CreateAsync(\"nobody\"), or check the value: "
            + "tenants are compared exactly, so case, whitespace and Unicode normalization matter.";
        (await ThrowsAsync<TenantNotFoundException>(() => DisableAsync("nobody", "x"))).Message.ShouldBe(message);
        (await ThrowsAsync<TenantNotFoundException>(() => EnableAsync("nobody"))).Message.ShouldBe(message);
        (await FindAsync("nobody")).ShouldBeNull();
    }

    [Test]
    public async Task A_purged_tenant_can_be_neither_enabled_nor_disabled()
    {
        var tenant = "gone_" + mode;
        await _db.Orders.Database.ExecuteAsOwnerAsync($"insert into dapper_tenants.tenants (id, state) values ('{tenant}', 'purged')");
        (await ThrowsAsync<InvalidOperationException>(() => EnableAsync(tenant))).Message.ShouldBe(
            $"Tenant '{tenant}' is purged: its data was deleted, so it cannot be enabled. A purged identifier is not reused: use another tenant value.");
        (await ThrowsAsync<InvalidOperationException>(() => DisableAsync(tenant, "x"))).Message.ShouldStartWith($"Tenant '{tenant}' is purged");
    }

    [Test]
    public async Task Listing_pages_by_state_in_byte_order()
    {
        var prefix = "page_" + mode + "_";
        string[] names = [prefix + "b", prefix + "B", prefix + "a", prefix + "c", prefix + "d"];
        foreach (var name in names)
        {
            await CreateAsync(name);
        }

        await DisableAsync(prefix + "c", "x");
        var seen = new List<string>();
        string? after = prefix;
        int pages = 0;
        do
        {
            var page = await ListAsync(TenantState.Active, after, 2);
            seen.AddRange(page.Tenants.Select(t => t.Tenant).Where(t => t.StartsWith(prefix, StringComparison.Ordinal)));
            after = page.Next;
            pages++;
        }
        while (after is not null && after.StartsWith(prefix, StringComparison.Ordinal));

        seen.ShouldBe([prefix + "B", prefix + "a", prefix + "b", prefix + "d"], "active only, upper case first (byte order)");
        pages.ShouldBeGreaterThanOrEqualTo(2);
        (await ListAsync(TenantState.Disabled, prefix, 100)).Tenants.Select(t => t.Tenant).ShouldContain(prefix + "c");
    }

    [Test]
    public async Task Tenant_values_are_validated_as_the_data_source_validates_them()
    {
        await using var tenants = _db.Orders.CreateTenants();
        foreach (var bad in new[] { "", "   ", "a\0b", "\uD800x", new string('x', 257) })
        {
            var expected = Should.Throw<ArgumentException>(() => tenants.Open(bad)).Message;
            (await ThrowsAsync<ArgumentException>(() => CreateAsync(bad))).Message.ShouldBe(expected);
            (await ThrowsAsync<ArgumentException>(() => FindAsync(bad))).Message.ShouldBe(expected);
        }

        (await ThrowsAsync<ArgumentException>(() => DisableAsync("acme", " "))).ParamName.ShouldBe("reason");
        (await ThrowsAsync<ArgumentOutOfRangeException>(() => ListAsync(null, null, 0))).ParamName.ShouldBe("pageSize");
    }

    [Test]
    public async Task A_registry_on_the_app_login_cannot_write()
    {
        await using var app = _db.Orders.Database.CreateAppDataSource();
        var registry = new TenantRegistry(app);
        var refused = Sync
            ? Should.Throw<PostgresException>(() => registry.Create("initech"))
            : await Should.ThrowAsync<PostgresException>(() => registry.CreateAsync("initech"));
        refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (Sync ? registry.Exists("acme") : await registry.ExistsAsync("acme")).ShouldBeTrue("reading is allowed");
    }
}
