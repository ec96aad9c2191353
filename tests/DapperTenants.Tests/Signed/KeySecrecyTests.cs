using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Signed.SignedDatabase;

namespace DapperTenants.Tests.Signed;

/// <summary>
/// The app login can reach the key through no channel: not the table, not the functions' source, not statistics, not
/// the diagnostic, not an error message. The key and its HMAC pads are searched for as hex everywhere the login can read.
/// </summary>
[Category(Categories.Database)]
public sealed class KeySecrecyTests
{
    private SignedDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await CreateAsync("signed_secrecy");
        await _db.Database.ExecuteAsOwnerAsync("analyze dapper_tenants.signing_keys; analyze signed_orders;");
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    /// <summary>The key, and the inner and outer pads the table stores, as lower-case hex.</summary>
    private static string[] Secrets
    {
        get
        {
            var block = new byte[64];
            Key.CopyTo(block, 0);
            return [
                Convert.ToHexStringLower(Key),
                Convert.ToHexStringLower(block.Select(b => (byte)(b ^ 0x36)).ToArray()),
                Convert.ToHexStringLower(block.Select(b => (byte)(b ^ 0x5c)).ToArray()),
            ];
        }
    }

    [TestCase("select * from dapper_tenants.signing_keys")]
    [TestCase("select inner_pad from dapper_tenants.signing_keys")]
    [TestCase("select count(*) from dapper_tenants.signing_keys")]
    [TestCase("copy dapper_tenants.signing_keys to stdout")]
    [TestCase("select dapper_tenants.install_signing_key('mine', '\\x00'::bytea)")]
    public async Task The_app_login_is_refused_the_key_table_and_the_key_installer(string sql)
    {
        await using var connection = await _db.OpenAppAsync();

        var ex = await Should.ThrowAsync<PostgresException>(() => connection.ExecuteAsync(sql));

        ex.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        Secrets.ShouldAllBe(secret => !ex.ToString().Contains(secret, StringComparison.OrdinalIgnoreCase));
    }

    [Test]
    public async Task The_functions_source_holds_no_key()
    {
        await using var connection = await _db.OpenAppAsync();

        var definitions = (await connection.QueryAsync<string>("""
            select pg_get_functiondef(p.oid) || p.prosrc || coalesce(array_to_string(p.proconfig, ','), '')
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'dapper_tenants'
            """)).ToList();

        definitions.Count.ShouldBe(3);
        definitions.ShouldAllBe(d => Secrets.All(secret => !d.Contains(secret, StringComparison.OrdinalIgnoreCase)));
        definitions.ShouldAllBe(d => d.Contains("search_path", StringComparison.Ordinal), "every function pins its search_path");
    }

    [Test]
    public async Task The_app_login_sees_no_statistics_of_the_key_table_and_none_of_the_pads_are_collected()
    {
        await using var connection = await _db.OpenAppAsync();
        await using var admin = NpgsqlDataSource.Create(_db.Database.AdminConnectionString);

        var visible = await connection.ExecuteScalarAsync<long>("select count(*) from pg_stats where schemaname = 'dapper_tenants'");
        var visibleExt = await connection.ExecuteScalarAsync<long>("select count(*) from pg_stats_ext where schemaname = 'dapper_tenants'");
        var collected = await admin.CreateCommand("""
            select count(*) from pg_statistic s join pg_attribute a on a.attrelid = s.starelid and a.attnum = s.staattnum
            where s.starelid = 'dapper_tenants.signing_keys'::regclass and a.attname in ('inner_pad', 'outer_pad')
            """).ExecuteScalarAsync();
        var ordersStats = await connection.ExecuteScalarAsync<long>("select count(*) from pg_stats where tablename = 'signed_orders'");

        visible.ShouldBe(0);
        visibleExt.ShouldBe(0);
        collected.ShouldBe(0L);
        ordersStats.ShouldBe(0, "RLS hides statistics of protected tables too; the app login reads none");
    }

    [Test]
    public async Task The_diagnostic_reports_key_ids_and_a_status_but_never_the_key()
    {
        await using var connection = await _db.OpenAppAsync();
        var tokens = new[] { Minter().TokenFor(Acme), Minter(OtherKey).TokenFor(Acme), "garbage", "" };

        var rows = new List<string>();
        foreach (var token in tokens)
        {
            rows.Add(await connection.QuerySingleAsync<string>(
                "select s.status || ' ' || s.server_time::text || ' ' || array_to_string(s.key_ids, ',') from dapper_tenants.token_status(@setting, @token) s",
                new { setting = Setting, token }));
        }

        rows.Select(r => r.Split(' ')[0]).ShouldBe(["verified", "bad", "malformed", "malformed"]);
        rows.ShouldAllBe(r => r.EndsWith(" default", StringComparison.Ordinal));
        rows.ShouldAllBe(r => Secrets.All(secret => !r.Contains(secret, StringComparison.OrdinalIgnoreCase)));
    }

    [Test]
    public async Task Neither_the_plan_nor_the_default_script_holds_the_key_and_the_requested_script_does()
    {
        await using var fresh = await CreateAsync("signed_secrecy_plan", useSignedContext: false);
        var installer = fresh.Installer().UseSignedContext(Key);

        var plan = await installer.PlanAsync();
        var script = installer.Script();
        var withKey = installer.Script(includeSigningKeys: true);

        (plan.ToSql() + plan + string.Join("", plan.Steps.Select(s => s.Sql))).ShouldNotContain(Secrets[0], Case.Insensitive);
        Secrets.ShouldAllBe(secret => !script.Contains(secret, StringComparison.OrdinalIgnoreCase));
        withKey.ShouldContain($"pg_catalog.decode('{Secrets[0]}', 'hex')");
    }

    [Test]
    public async Task A_key_installed_through_the_installer_is_stored_as_the_hmac_pads_only()
    {
        await using var admin = NpgsqlDataSource.Create(_db.Database.AdminConnectionString);

        var stored = await admin.CreateCommand("select encode(inner_pad, 'hex') || encode(outer_pad, 'hex') from dapper_tenants.signing_keys").ExecuteScalarAsync();

        stored.ShouldBe(Secrets[1] + Secrets[2]);
    }
}
