using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Connections;

[Category(Categories.Unit)]
public class BadInputTests
{
    // Creating a data source does not connect, and tenant values are validated before a connection is leased.
    private static TenantDataSource Unconnected(Action<TenantOptions>? options = null) =>
        TenantDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Password=x;Timeout=1", options);

    [Test]
    public void A_null_tenant_is_refused()
    {
        using var tenants = Unconnected();
        Should.Throw<ArgumentNullException>(() => tenants.Open(null!)).ParamName.ShouldBe("tenant");
    }

    [TestCase("")]
    [TestCase(" ")]
    [TestCase("\t\r\n")]
    public void An_empty_or_whitespace_tenant_is_refused(string tenant)
    {
        using var tenants = Unconnected();
        Should.Throw<ArgumentException>(() => tenants.Open(tenant)).Message
            .ShouldBe("The tenant value is empty or whitespace. Pass the tenant's identifier, for example tenants.Open(\"acme\"). (Parameter 'tenant')");
    }

    [Test]
    public async Task A_tenant_with_NUL_is_refused_sync_and_async()
    {
        await using var tenants = Unconnected();
        const string expected = "The tenant value contains a NUL character at position 2; PostgreSQL text cannot hold it. Remove it. (Parameter 'tenant')";
        Should.Throw<ArgumentException>(() => tenants.Open("ac\0me")).Message.ShouldBe(expected);
        (await Should.ThrowAsync<ArgumentException>(async () => await tenants.OpenAsync("ac\0me"))).Message.ShouldBe(expected);
    }

    [Test]
    public void A_tenant_with_an_unpaired_surrogate_is_refused()
    {
        using var tenants = Unconnected();
        Should.Throw<ArgumentException>(() => tenants.Open("a\uD800b")).Message
            .ShouldBe("The tenant value contains an unpaired UTF-16 surrogate at position 1, which cannot be encoded for PostgreSQL. Pass valid Unicode text. (Parameter 'tenant')");
        Should.Throw<ArgumentException>(() => tenants.Open("ab\uDC00")).Message.ShouldContain("position 2");
    }

    [Test]
    public void A_tenant_longer_than_the_limit_is_refused()
    {
        using var tenants = Unconnected();
        Should.Throw<ArgumentException>(() => tenants.Open(new string('x', 257))).Message
            .ShouldBe("The tenant value is 257 characters long; the limit is 256. Use a short identifier, or raise TenantOptions.MaxTenantLength. (Parameter 'tenant')");
        Should.Throw<ArgumentException>(() => tenants.Open(new string('x', 1024 * 1024))).Message.ShouldStartWith("The tenant value is 1048576 characters long");
    }

    [TestCase("tenant")]
    [TestCase("Dapper.Tenant")]
    [TestCase("a.b.c")]
    [TestCase("a-b.c")]
    [TestCase("1a.b")]
    [TestCase(".b")]
    [TestCase("a.")]
    [TestCase("a.b'; drop table x; --")]
    [TestCase("")]
    public void An_invalid_setting_name_is_refused_when_the_data_source_is_created(string name)
    {
        var error = Should.Throw<ArgumentException>(() => Unconnected(o => o.SettingName = name));
        error.Message.ShouldBe(
            $"The tenant setting name '{name}' is not valid. PostgreSQL custom settings need the form 'prefix.name' "
            + "in lower case letters, digits and underscores, such as 'dapper_tenants.tenant' or 'app.tenant_id'. (Parameter 'configure')");
    }

    [Test]
    public void A_valid_custom_setting_name_is_accepted()
    {
        using var tenants = Unconnected(o => o.SettingName = "app.tenant_id");
        tenants.Options.SettingName.ShouldBe("app.tenant_id");
    }

    [Test]
    public void Options_are_copied_when_the_data_source_is_created()
    {
        var options = new TenantOptions { SettingName = "app.tenant" };
        using var dataSource = Npgsql.NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");
        using var tenants = new TenantDataSource(dataSource, options);
        options.SettingName = "other.name";
        tenants.Options.SettingName.ShouldBe("app.tenant");
    }

    [Test]
    public void The_defaults_are_the_safe_choices()
    {
        var options = new TenantOptions();
        options.SettingName.ShouldBe("dapper_tenants.tenant");
        options.ContextScope.ShouldBe(TenantContextScope.Transaction);
        options.GuardMode.ShouldBe(TenantGuardMode.Throw);
        options.AllowPrivilegedRole.ShouldBeFalse();
        options.MaxTenantLength.ShouldBe(256);
        default(TenantContextScope).ShouldBe(TenantContextScope.Transaction);
        default(TenantGuardMode).ShouldBe(TenantGuardMode.Throw);
    }

    [Test]
    public void An_undefined_scope_is_refused()
    {
        Should.Throw<ArgumentException>(() => Unconnected(o => o.ContextScope = (TenantContextScope)7)).Message
            .ShouldBe("TenantOptions.ContextScope has the undefined value 7. Use TenantContextScope.Transaction or TenantContextScope.Session. (Parameter 'configure')");
    }
}
