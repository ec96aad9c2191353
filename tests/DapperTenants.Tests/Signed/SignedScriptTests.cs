using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Signed.SignedDatabase;

namespace DapperTenants.Tests.Signed;

/// <summary>Script() with the signed context: a key placeholder by default that fails loudly when left unfilled, re-runnable, same end state as applying.</summary>
[Category(Categories.Database)]
public sealed class SignedScriptTests
{
    private const string Placeholder = """
        -- Signing key 'default': not in this script. Give it as hex (at least 64 hex digits) before running it:
        --   psql: \set dapper_tenants_key_default `cat /path/to/key.hex`   (or psql -v dapper_tenants_key_default=...)
        --   other tools: replace :'dapper_tenants_key_default' below with the hex key as a string literal.
        -- Left unfilled, the statement is a syntax error and the script fails: it never installs a blank key.
        SELECT "dapper_tenants"."install_signing_key"('default', pg_catalog.decode(:'dapper_tenants_key_default', 'hex'));
        """;

    [Test]
    public void The_default_script_has_a_placeholder_for_the_key_and_says_how_to_fill_it()
    {
        using var offline = NpgsqlDataSource.Create("Host=localhost");

        var script = new PolicyInstaller(offline).Add<SignedOrder>().UseSignedContext(Key).Script();

        script.ShouldContain(Placeholder.ReplaceLineEndings("\n"));
        script.ShouldNotContain(Convert.ToHexString(Key), Case.Insensitive);
        script.ShouldContain("USING (\"tenant\" = (SELECT \"dapper_tenants\".\"tenant_of\"('dapper_tenants.tenant')::text))");
        script.ShouldContain("SET DEFAULT \"dapper_tenants\".\"tenant_of\"('dapper_tenants.tenant')::text;");
    }

    [Test]
    public async Task An_unfilled_placeholder_fails_the_script_and_leaves_nothing()
    {
        await using var db = await CreateAsync("signed_script_unfilled", useSignedContext: false);

        var ex = await Should.ThrowAsync<PostgresException>(() => db.Database.ExecuteAsOwnerAsync(db.Installer().UseSignedContext(Key).Script()));

        ex.SqlState.ShouldBe(PostgresErrorCodes.SyntaxError);
        await using var owner = await db.Owner.OpenConnectionAsync();
        (await owner.ExecuteScalarAsync<bool>("select exists (select from pg_namespace where nspname = 'dapper_tenants')")).ShouldBeFalse();
    }

    [Test]
    public async Task The_script_with_the_placeholder_filled_by_hand_leaves_the_state_apply_would()
    {
        await using var db = await CreateAsync("signed_script_filled", useSignedContext: false);
        var script = db.Installer().UseSignedContext(Key).Script()
            .Replace(":'dapper_tenants_key_default'", "'" + Convert.ToHexStringLower(Key) + "'", StringComparison.Ordinal);

        await db.Database.ExecuteAsOwnerAsync(script);

        (await db.Installer().UseSignedContext(Key).PlanAsync()).IsEmpty.ShouldBeTrue();
        await using var connection = await db.OpenAppAsync();
        await SetAsync(connection, Minter().TokenFor(Acme));
        (await OrderIdsAsync(connection)).ShouldBe([1, 2, 3]);
    }

    [Test]
    public async Task The_script_with_keys_included_is_re_runnable_and_leaves_the_state_apply_would()
    {
        await using var db = await CreateAsync("signed_script_keys", useSignedContext: false);
        var script = db.Installer().UseSignedContext(Key).UseSignedContext(OtherKey, "k2").Script(includeSigningKeys: true);

        await db.Database.ExecuteAsOwnerAsync(script);
        await db.Database.ExecuteAsOwnerAsync(script);

        (await db.Installer().UseSignedContext(Key).UseSignedContext(OtherKey, "k2").PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    [Test]
    public async Task A_scripted_retirement_removes_the_key_and_is_harmless_where_there_is_no_key_table()
    {
        await using var signed = await CreateAsync("signed_script_retire");
        await using var unsigned = await CreateAsync("signed_script_retire_none", useSignedContext: false);
        var script = signed.Installer().UseSignedContext(OtherKey, "k2").RetireSigningKey("default").Script(includeSigningKeys: true);

        await signed.Database.ExecuteAsOwnerAsync(script);
        await unsigned.Database.ExecuteAsOwnerAsync(unsigned.Installer().RetireSigningKey("default").Script());

        script.ShouldContain("-- Signing key 'default' retired: tokens signed with it no longer verify.");
        (await signed.Installer().UseSignedContext(OtherKey, "k2").PlanAsync()).Warnings.ShouldBeEmpty("the old key is gone");
        await using var connection = await signed.OpenAppAsync();
        await SetAsync(connection, Minter().TokenFor(Acme));
        (await OrderIdsAsync(connection)).ShouldBeEmpty();
        await SetAsync(connection, Minter(OtherKey, "k2").TokenFor(Acme));
        (await OrderIdsAsync(connection)).ShouldBe([1, 2, 3]);
    }
}
