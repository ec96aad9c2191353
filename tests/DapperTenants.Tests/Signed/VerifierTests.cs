using System.Globalization;
using System.Text;
using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Signed.SignedDatabase;

namespace DapperTenants.Tests.Signed;

/// <summary>
/// The verifier and the signed policies, through raw Npgsql as the app login, with the token set by hand: a valid
/// token admits its tenant's rows and nothing else, and every other value of the setting admits no row and raises nothing.
/// </summary>
[Category(Categories.Database)]
public sealed class VerifierTests
{
    private SignedDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await CreateAsync("signed_verifier");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task A_valid_token_sees_its_tenants_rows_and_the_shared_ones_only()
    {
        await using var connection = await _db.OpenAppAsync();
        await SetAsync(connection, Minter().TokenFor(Acme));

        (await OrderIdsAsync(connection)).ShouldBe([1, 2, 3]);
        (await DocIdsAsync(connection)).ShouldBe([10, 11]);
        (await VerifiedAsync(connection)).ShouldBe(Acme);
    }

    [Test]
    public async Task A_valid_token_of_a_tenant_with_any_characters_verifies_to_that_exact_tenant()
    {
        await using var connection = await _db.OpenAppAsync();
        foreach (var tenant in new[] { "Ünïcødé 租户 🚀", "a'; drop table signed_orders; --", "  spaced  ", "dot.ted.", "x" })
        {
            await SetAsync(connection, Minter().TokenFor(tenant));
            (await VerifiedAsync(connection)).ShouldBe(tenant);
            (await OrderIdsAsync(connection)).ShouldBeEmpty(tenant);
        }
    }

    [TestCaseSource(nameof(BadTokens))]
    public async Task A_bad_token_sees_no_row_and_raises_nothing(Func<string, string> corrupt)
    {
        await using var connection = await _db.OpenAppAsync();
        var token = corrupt(Minter().TokenFor(Acme));
        await SetAsync(connection, token);

        (await VerifiedAsync(connection)).ShouldBeNull(token);
        (await OrderIdsAsync(connection)).ShouldBeEmpty(token);
        (await DocIdsAsync(connection)).ShouldBeEmpty("shared rows need a verified tenant too");
        (await connection.ExecuteAsync("update signed_orders set total = 0")).ShouldBe(0);
        (await connection.ExecuteAsync("delete from signed_orders")).ShouldBe(0);
        var write = await Should.ThrowAsync<PostgresException>(() => connection.ExecuteAsync("insert into signed_orders (tenant, id, total) values ('acme', 99, 1)"));
        write.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    public static IEnumerable<TestCaseData> BadTokens()
    {
        static string Field(string token, int index, Func<string, string> change)
        {
            var parts = token.Split('.');
            parts[index] = change(parts[index]);
            return string.Join('.', parts);
        }

        static string Hex(string text) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text));
        static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        yield return Case("empty", _ => "");
        yield return Case("the bare tenant (the unsigned context's value)", _ => Acme);
        yield return Case("another bare tenant, as injected SQL would set it", _ => Globex);
        yield return Case("the token without its mac", t => t[..t.LastIndexOf('.')]);
        yield return Case("the token cut in the middle of its mac", t => t[..^10]);
        yield return Case("the token with a field too many", t => t + ".00");
        yield return Case("the token with a space appended", t => t + " ");
        yield return Case("the token in upper case", t => t.ToUpperInvariant());
        yield return Case("another version tag", t => "v2" + t[2..]);
        yield return Case("forged tenant field: globex under acme's mac", t => Field(t, 4, _ => Hex(Globex)));
        yield return Case("forged tenant field: odd-length hex", t => Field(t, 4, f => f + "0"));
        yield return Case("forged expiry: a later one", t => Field(t, 2, f => (long.Parse(f, CultureInfo.InvariantCulture) + 3600).ToString(CultureInfo.InvariantCulture)));
        yield return Case("forged expiry: thirteen digits", t => Field(t, 2, _ => "9999999999999"));
        yield return Case("forged backend: bound to process 1", t => Field(t, 3, _ => "1"));
        yield return Case("forged backend: eleven digits", t => Field(t, 3, _ => "99999999999"));
        yield return Case("forged key id: one that is not installed", t => Field(t, 1, _ => "other"));
        yield return Case("forged key id: 33 characters", t => Field(t, 1, _ => new string('k', 33)));
        yield return Case("forged mac: last digit changed", t => t[..^1] + (t[^1] == '0' ? '1' : '0'));
        yield return Case("forged mac: all zeros", t => Field(t, 5, f => new string('0', f.Length)));
        yield return Case("forged mac: upper-case hex", t => Field(t, 5, f => f.ToUpperInvariant()));
        yield return Case("signed with another key under the installed id", _ => Minter(OtherKey).TokenFor(Acme));
        yield return Case("signed with another key under an id that is not installed", _ => Minter(OtherKey, "rotated").TokenFor(Acme));
        yield return Case("signed for another setting", _ => Minter(setting: "app.tenant").TokenFor(Acme));
        yield return Case("expired ten seconds ago", _ => Minter().Mint(Acme, 0, Now() - 10));
        yield return Case("expired at the epoch", _ => Minter().Mint(Acme, 0, 0));
        yield return Case("bound to another backend", _ => Minter().Mint(Acme, int.MaxValue, Now() + 300));
        yield return Case("longer than 8400 characters", _ => Field(Minter().Mint(new string('a', 4096), 0, Now() + 300), 4, f => f + new string('0', 200)));
        yield return Case("SQL in a field", t => Field(t, 2, _ => "1' or '1'='1"));
        yield return Case("non-ASCII in the key id", t => Field(t, 1, _ => "défault"));
        yield return Case("the separator doubled", t => t.Replace(".", "..", StringComparison.Ordinal));
    }

    [Test]
    public async Task Every_truncation_and_single_character_change_of_a_valid_token_sees_no_row()
    {
        await using var connection = await _db.OpenAppAsync();
        var valid = Minter().TokenFor(Acme);
        var variants = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < valid.Length; i++)
        {
            variants.Add(valid[..i]);
            foreach (var c in "0af.zA_-")
            {
                variants.Add(valid[..i] + c + valid[(i + 1)..]);
            }
        }

        variants.Remove(valid);
        var admitted = new List<string>();
        foreach (var variant in variants)
        {
            await SetAsync(connection, variant);
            if (await VerifiedAsync(connection) is not null || (await OrderIdsAsync(connection)).Length > 0)
            {
                admitted.Add(variant);
            }
        }

        admitted.ShouldBeEmpty();
        variants.Count.ShouldBeGreaterThan(500);
    }

    [Test]
    public async Task An_unset_setting_sees_no_row()
    {
        await using var connection = await _db.OpenAppAsync();

        (await VerifiedAsync(connection)).ShouldBeNull();
        (await OrderIdsAsync(connection)).ShouldBeEmpty();
    }

    [Test]
    public async Task Injected_set_config_with_a_bare_tenant_sees_no_row_once_the_signed_policies_are_installed()
    {
        await using var connection = await _db.OpenAppAsync();
        await SetAsync(connection, Minter().TokenFor(Acme));

        using var results = await connection.QueryMultipleAsync(
            "select set_config('dapper_tenants.tenant', 'globex', true); select id from signed_orders order by id");
        (await results.ReadSingleAsync<string>()).ShouldBe(Globex);
        var rows = await results.ReadAsync<int>();
        (await connection.QueryAsync<int>("""
            with s as (select set_config('dapper_tenants.tenant', 'globex', false)) select id from signed_orders, s order by id
            """)).ShouldBeEmpty();

        rows.ShouldBeEmpty();
        (await OrderIdsAsync(connection)).ShouldBeEmpty("the session setting now holds globex, unsigned");
    }

    [Test]
    public async Task The_same_injection_switches_tenants_under_unsigned_policies()
    {
        await using var unsigned = await CreateAsync("signed_contrast", useSignedContext: false);
        await using var connection = await unsigned.OpenAppAsync();
        await SetAsync(connection, Acme);

        await SetAsync(connection, Globex);

        (await OrderIdsAsync(connection)).ShouldBe([4, 5], "this is what the signed context closes");
    }

    [Test]
    public async Task A_token_of_one_tenant_cannot_be_turned_into_another_by_splicing_tokens()
    {
        await using var connection = await _db.OpenAppAsync();
        var acme = Minter().TokenFor(Acme).Split('.');
        var globex = Minter().TokenFor(Globex).Split('.');
        string[] spliced = [
            string.Join('.', [.. acme[..4], globex[4], acme[5]]),
            string.Join('.', [.. acme[..4], globex[4], globex[5][..32] + acme[5][32..]]),
            string.Join('.', [.. acme[..5], globex[5]]),
        ];

        foreach (var token in spliced)
        {
            await SetAsync(connection, token);
            (await OrderIdsAsync(connection)).ShouldBeEmpty(token);
        }
    }

    [Test]
    public async Task A_token_bound_to_the_backend_verifies_there_only()
    {
        await using var connection = await _db.OpenAppAsync();
        await using var other = await _db.OpenAppAsync();
        var bound = Minter().TokenFor(Acme, connection.ProcessID);

        await SetAsync(connection, bound);
        await SetAsync(other, bound);

        (await OrderIdsAsync(connection)).ShouldBe([1, 2, 3]);
        (await OrderIdsAsync(other)).ShouldBeEmpty("a bound token read by injected SQL is useless on any other backend");
    }

    [Test]
    public async Task The_tenant_column_default_stamps_the_verified_tenant_and_with_check_refuses_another()
    {
        await using var connection = await _db.OpenAppAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await SetAsync(connection, Minter().TokenFor(Globex));

        var stamped = await connection.ExecuteScalarAsync<string>("insert into signed_orders (id, total) values (60, 6) returning tenant", transaction: transaction);
        await connection.ExecuteAsync("savepoint s", transaction: transaction);
        var refused = await Should.ThrowAsync<PostgresException>(() =>
            connection.ExecuteAsync("insert into signed_orders (tenant, id, total) values ('acme', 61, 6)", transaction: transaction));

        stamped.ShouldBe(Globex);
        refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        await transaction.RollbackAsync();
    }

    [Test]
    public async Task A_transaction_that_began_with_a_valid_token_keeps_it_after_the_expiry()
    {
        await using var connection = await _db.OpenAppAsync();
        var expiry = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2;
        await SetAsync(connection, Minter().Mint(Acme, 0, expiry));
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            (await connection.QueryAsync<int>("select id from signed_orders order by id", transaction: transaction)).ShouldBe([1, 2, 3]);
            await connection.ExecuteAsync("select pg_sleep(@seconds)", new { seconds = expiry - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + 0.3 }, transaction);

            (await connection.QueryAsync<int>("select id from signed_orders order by id", transaction: transaction)).ShouldBe([1, 2, 3],
                "the expiry is compared with the transaction's start");
            await transaction.CommitAsync();
        }

        (await OrderIdsAsync(connection)).ShouldBeEmpty("a new transaction starts after the expiry");
    }

    [Test]
    public async Task The_policy_runs_the_verifier_once_per_statement_as_an_init_plan()
    {
        await using var connection = await _db.OpenAppAsync();

        var plan = string.Join('\n', await connection.QueryAsync<string>("explain select * from signed_orders where total > 0"));

        plan.ShouldContain("InitPlan 1");
        // PostgreSQL 16 and earlier name the init plan's output $0; 17 and later (InitPlan 1).col1.
        plan.ShouldMatch(@"tenant = (\$0|\(InitPlan 1\)\.col1)\b");
    }

    private static TestCaseData Case(string name, Func<string, string> corrupt) => new TestCaseData(corrupt).SetArgDisplayNames(name);
}
