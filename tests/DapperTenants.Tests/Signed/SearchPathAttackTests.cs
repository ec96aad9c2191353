using System.Globalization;
using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Signed.SignedDatabase;

namespace DapperTenants.Tests.Signed;

/// <summary>
/// The app login owns a schema it puts first in its search_path, fills it with look-alikes of every function, operator
/// and type the verifier uses (each counting its calls), adds a temporary key table holding its own key, and forges
/// tokens. None is called, no forged token verifies, and a genuine token still verifies to its tenant.
/// </summary>
[Category(Categories.Database)]
public sealed class SearchPathAttackTests
{
    /// <summary>The attacker's own key, installed in its temporary look-alike key table.</summary>
    private static readonly byte[] AttackerKey = [.. Enumerable.Repeat((byte)0x42, 32)];

    private static readonly (string Signature, string Returns, string Value)[] Functions =
    [
        ("current_setting(text, boolean)", "text", "{forged}"),
        ("current_setting(text)", "text", "{forged}"),
        ("sha256(bytea)", "bytea", @"'\x00'::pg_catalog.bytea"),
        ("decode(text, text)", "bytea", @"'\x00'::pg_catalog.bytea"),
        ("convert_to(text, name)", "bytea", @"'\x00'::pg_catalog.bytea"),
        ("convert_from(bytea, name)", "text", "'globex'"),
        ("now()", "timestamptz", "'epoch'"),
        ("transaction_timestamp()", "timestamptz", "'epoch'"),
        ("clock_timestamp()", "timestamptz", "'epoch'"),
        ("date_part(text, timestamptz)", "float8", "0"),
        ("octet_length(text)", "integer", "1"),
        ("length(text)", "integer", "1"),
        ("left(text, integer)", "text", "'x'"),
        ("substr(text, integer, integer)", "text", "'x'"),
        ("substr(text, integer)", "text", "'x'"),
        ("string_to_array(text, text)", "text[]", "'{v1,default,9999999999,0,676c6f626578,00}'"),
        ("regexp_match(text, text)", "text[]", "'{v1,default,9999999999,0,676c6f626578,00}'"),
        ("pg_backend_pid()", "integer", "0"),
    ];

    private static readonly (string Operator, string Left, string Right, string Value)[] Operators =
    [
        ("=", "text", "text", "true"),
        ("=", "bytea", "bytea", "true"),
        ("=", "bigint", "integer", "true"),
        ("<>", "text", "text", "false"),
        ("<>", "bytea", "bytea", "false"),
        ("<>", "integer", "integer", "false"),
        (">", "integer", "integer", "false"),
        (">", "double precision", "double precision", "true"),
        ("<=", "double precision", "double precision", "false"),
        ("~", "text", "text", "true"),
        ("%", "integer", "integer", "0"),
        ("||", "text", "text", "$1"),
        ("||", "bytea", "bytea", "$2"),
    ];

    private SignedDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await CreateAsync("signed_search_path");

    /// <summary>
    /// A schema the app login may create objects in (a fresh one for each case), usable by every role, as a schema the
    /// attacker owned would be: a SECURITY DEFINER function only resolves names in schemas its owner may use.
    /// </summary>
    [SetUp]
    public Task CreateAttackerSchema() => _db.Database.ExecuteAsAdminAsync(
        $"""drop schema if exists attacker cascade; create schema attacker; grant usage on schema attacker to public; grant create on schema attacker to "{_db.AppRole}";""");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [TestCase("attacker, pg_catalog, pg_temp, public")]
    [TestCase("pg_temp, attacker, pg_catalog, public")]
    public async Task Look_alike_functions_operators_types_and_a_temporary_key_table_change_nothing(string searchPath)
    {
        await using var connection = await _db.OpenAppAsync();
        var forged = Minter(AttackerKey).TokenFor(Globex);
        await PlantAsync(connection, forged);
        await connection.ExecuteAsync($"set search_path = {searchPath}");

        await SetAsync(connection, forged);
        var forgedRows = await OrderIdsAsync(connection);
        var forgedTenant = await VerifiedAsync(connection);
        await SetAsync(connection, Globex);
        var rawRows = await OrderIdsAsync(connection);
        await SetAsync(connection, Minter().Mint(Acme, 0, 1));
        var expiredRows = await OrderIdsAsync(connection);
        await SetAsync(connection, Minter().TokenFor(Acme));
        var validRows = await OrderIdsAsync(connection);
        var validTenant = await VerifiedAsync(connection);
        var status = await connection.ExecuteScalarAsync<string>(
            "select s.status from dapper_tenants.token_status(@Setting, @token) s", new { Setting, token = Minter().TokenFor(Acme) });

        forgedRows.ShouldBeEmpty();
        forgedTenant.ShouldBeNull();
        rawRows.ShouldBeEmpty();
        expiredRows.ShouldBeEmpty();
        validRows.ShouldBe([1, 2, 3]);
        validTenant.ShouldBe(Acme);
        status.ShouldBe("verified");
        (await connection.ExecuteScalarAsync<bool>("select is_called from attacker.calls")).ShouldBeFalse("no look-alike was ever called");
        (await connection.ExecuteScalarAsync<string>("show search_path")).ShouldBe(searchPath, "the attack was in force");
        (await connection.ExecuteScalarAsync<string>("select current_setting('x.y', true)")).ShouldBe(forged, "and a look-alike wins where the name is not qualified");
    }

    /// <summary>Creates the look-alikes in schema attacker and the temporary key table, as the app login.</summary>
    private static async Task PlantAsync(NpgsqlConnection connection, string forged)
    {
        var sql = new List<string> { "create sequence attacker.calls", "grant usage on sequence attacker.calls to public" };
        foreach (var (signature, returns, value) in Functions)
        {
            sql.Add($"create function attacker.{signature} returns {returns} language plpgsql as $f$ begin perform pg_catalog.nextval('attacker.calls'); "
                + $"return {value.Replace("{forged}", "'" + forged + "'", StringComparison.Ordinal)}; end $f$");
        }

        var i = 0;

        foreach (var (op, left, right, value) in Operators)
        {
            var function = "attacker.op_" + (i++).ToString(CultureInfo.InvariantCulture);
            var returns = value is "true" or "false" ? "boolean" : value == "0" ? "integer" : left;
            sql.Add($"create function {function}({left}, {right}) returns {returns} language plpgsql as $f$ begin perform pg_catalog.nextval('attacker.calls'); return {value}; end $f$");
            sql.Add($"create operator attacker.{op} (leftarg = {left}, rightarg = {right}, function = {function})");
        }

        sql.Add("create domain attacker.text as pg_catalog.varchar(3)");
        sql.Add("create domain attacker.bytea as pg_catalog.text");
        sql.Add("create domain attacker.float8 as pg_catalog.int4");
        sql.Add("create domain attacker.int8 as pg_catalog.int2");

        // A key table of its own where pg_temp, searched first for relations by default, would find it.
        var block = new byte[64];
        AttackerKey.CopyTo(block, 0);
        var inner = Convert.ToHexStringLower([.. block.Select(b => (byte)(b ^ 0x36))]);
        var outer = Convert.ToHexStringLower([.. block.Select(b => (byte)(b ^ 0x5c))]);
        sql.Add("create temp table signing_keys (key_id text, inner_pad bytea, outer_pad bytea, installed_at timestamptz)");
        sql.Add($"insert into pg_temp.signing_keys values ('default', decode('{inner}', 'hex'), decode('{outer}', 'hex'), now())");
        sql.Add("create function pg_temp.sha256(bytea) returns bytea language sql as $f$ select '\\x00'::bytea $f$");
        foreach (var statement in sql)
        {
            await connection.ExecuteAsync(statement);
        }
    }
}
