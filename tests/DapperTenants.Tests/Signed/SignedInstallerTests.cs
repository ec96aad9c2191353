using DapperTenants.Policies;
using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Signed.SignedDatabase;

namespace DapperTenants.Tests.Signed;

/// <summary>
/// UseSignedContext as a plan like any other: visible steps with reasons, idempotent, switching both ways, several keys
/// for rotation, drift repaired, and the key kept out of every plan and script unless asked.
/// </summary>
[Category(Categories.Database)]
public sealed class SignedInstallerTests
{
    private const string Orders = "\"public\".\"signed_orders\"";
    private const string Docs = "\"public\".\"signed_docs\"";
    private const string Schema = "\"dapper_tenants\"";
    private const string KeyTable = "\"dapper_tenants\".\"signing_keys\"";
    private const string Verifier = "\"dapper_tenants\".\"tenant_of\"(text)";
    private const string Diagnostic = "\"dapper_tenants\".\"token_status\"(text, text)";
    private const string KeyInstaller = "\"dapper_tenants\".\"install_signing_key\"(text, bytea)";

    [Test]
    public async Task A_first_signed_plan_lists_the_signed_contexts_objects_then_the_tables_each_with_its_reason()
    {
        await using var db = await CreateAsync("signed_first", useSignedContext: false);
        await db.Database.ExecuteAsOwnerAsync("drop policy dapper_tenants_isolation on signed_orders; alter table signed_orders alter column tenant drop default;");
        var app = $"\"{db.AppRole}\"";

        var plan = await db.Installer().UseSignedContext(Key).PlanAsync();

        plan.Steps.Select(s => s.ToString()).ShouldBe([
            $"{Schema}: schema of the signed context missing",
            $"{KeyTable}: key table missing",
            $"{Verifier}: function of the signed context missing",
            $"{Verifier}: role {app} lacks EXECUTE on the function",
            $"{Diagnostic}: function of the signed context missing",
            $"{Diagnostic}: role {app} lacks EXECUTE on the function",
            $"{KeyInstaller}: function of the signed context missing",
            $"{Schema}: role {app} lacks USAGE on the schema of the signed context",
            $"{KeyTable}: signing key 'default' missing",
            $"{Orders}: policy missing",
            $"{Orders}: default missing",
            $"{Docs}: policy reads the raw setting; the model reads the signed context",
            $"{Docs}: shared-rows policy reads the raw setting; the model reads the signed context",
            $"{Docs}: default reads the raw setting; the model reads the signed context",
        ]);
        plan.Errors.ShouldBeEmpty();
        plan.Warnings.ShouldBeEmpty();
    }

    [Test]
    public async Task The_plan_binds_the_key_as_a_parameter_and_never_prints_it()
    {
        await using var db = await CreateAsync("signed_bound", useSignedContext: false);

        var plan = await db.Installer().UseSignedContext(Key).PlanAsync();

        var keyStep = plan.Steps.Single(s => s.Reason == "signing key 'default' missing");
        keyStep.Sql.ShouldBe("SELECT \"dapper_tenants\".\"install_signing_key\"('default', $1); -- $1: the signing key, bound when applied and never printed");
        plan.ToSql().ShouldNotContain(Convert.ToHexString(Key), Case.Insensitive);
        plan.ToString().ShouldNotContain(Convert.ToHexString(Key), Case.Insensitive);
    }

    [Test]
    public async Task A_second_signed_plan_is_empty_sync_and_async()
    {
        await using var db = await CreateAsync("signed_idempotent");

        (await db.Installer().UseSignedContext(Key).PlanAsync()).IsEmpty.ShouldBeTrue();
        db.Installer().UseSignedContext(Key).Plan().IsEmpty.ShouldBeTrue();
        (await db.Installer(new TenantOptions { SigningKey = Key }).ApplyAsync()).IsEmpty.ShouldBeTrue("options with a key install the signed context too");
        db.Installer().UseSignedContext(Key).Apply().IsEmpty.ShouldBeTrue();
    }

    [Test]
    public async Task Sync_apply_installs_the_signed_context_as_the_async_one_does()
    {
        await using var db = await CreateAsync("signed_sync", useSignedContext: false);

        var applied = db.Installer().UseSignedContext(Key).Apply();

        applied.Steps.ShouldContain(s => s.Reason == "signing key 'default' missing");
        await using var connection = await db.OpenAppAsync();
        await SetAsync(connection, Minter().TokenFor(Acme));
        (await OrderIdsAsync(connection)).ShouldBe([1, 2, 3]);
    }

    [Test]
    public async Task Switching_unsigned_to_signed_and_back_is_a_plan_step_each_way()
    {
        await using var db = await CreateAsync("signed_switch", useSignedContext: false);
        await using var connection = await db.OpenAppAsync();

        var toSigned = await db.Installer().UseSignedContext(Key).ApplyAsync();
        await SetAsync(connection, Acme);
        var rawWhileSigned = await OrderIdsAsync(connection);
        await SetAsync(connection, Minter().TokenFor(Acme));
        var tokenWhileSigned = await OrderIdsAsync(connection);

        var toUnsigned = await db.Installer().ApplyAsync();
        var tokenWhileUnsigned = await OrderIdsAsync(connection);
        await SetAsync(connection, Acme);
        var rawWhileUnsigned = await OrderIdsAsync(connection);

        toSigned.Steps.Where(s => s.Target is Orders or Docs).Select(s => s.Reason).ShouldBe([
            "policy reads the raw setting; the model reads the signed context",
            "default reads the raw setting; the model reads the signed context",
            "policy reads the raw setting; the model reads the signed context",
            "shared-rows policy reads the raw setting; the model reads the signed context",
            "default reads the raw setting; the model reads the signed context",
        ]);
        toUnsigned.Steps.Select(s => s.Reason).ShouldBe([
            "policy reads the signed context; the model reads the raw setting",
            "default reads the signed context; the model reads the raw setting",
            "policy reads the signed context; the model reads the raw setting",
            "shared-rows policy reads the signed context; the model reads the raw setting",
            "default reads the signed context; the model reads the raw setting",
        ]);
        rawWhileSigned.ShouldBeEmpty();
        tokenWhileSigned.ShouldBe([1, 2, 3]);
        tokenWhileUnsigned.ShouldBeEmpty();
        rawWhileUnsigned.ShouldBe([1, 2, 3]);
        (await db.Installer().PlanAsync()).IsEmpty.ShouldBeTrue();
        (await db.Installer().UseSignedContext(Key).PlanAsync()).Steps.Count.ShouldBe(5, "back to signed: the objects and key are still there");
    }

    [Test]
    public async Task Rotation_installs_a_second_key_beside_the_first_then_retires_the_first()
    {
        await using var db = await CreateAsync("signed_rotation");
        await using var connection = await db.OpenAppAsync();
        var oldToken = Minter().TokenFor(Acme);
        var newToken = Minter(OtherKey, "k2").TokenFor(Acme);

        var install = await db.Installer().UseSignedContext(Key).UseSignedContext(OtherKey, "k2").ApplyAsync();
        var bothValid = (await VerifyAsync(connection, oldToken), await VerifyAsync(connection, newToken));
        var reminder = await db.Installer().UseSignedContext(OtherKey, "k2").PlanAsync();
        var retire = await db.Installer().UseSignedContext(OtherKey, "k2").RetireSigningKey("default").ApplyAsync();
        var afterRetire = (await VerifyAsync(connection, oldToken), await VerifyAsync(connection, newToken));

        install.Steps.Select(s => s.ToString()).ShouldBe([$"{KeyTable}: signing key 'k2' missing"]);
        bothValid.ShouldBe((Acme, Acme));
        reminder.IsEmpty.ShouldBeTrue();
        reminder.Warnings.ShouldBe([
            "The signing key 'default' is installed but not given to UseSignedContext: tokens signed with it still verify. Once no application "
            + "signs with it, retire it with RetireSigningKey(\"default\") (dapper-tenants apply --retire-signing-key default)."]);
        retire.Steps.Select(s => s.ToString()).ShouldBe([$"{KeyTable}: signing key 'default' retired"]);
        retire.Steps[0].Sql.ShouldBe("DELETE FROM \"dapper_tenants\".\"signing_keys\" WHERE key_id = 'default';");
        afterRetire.ShouldBe((null, Acme));
        (await db.Installer().UseSignedContext(OtherKey, "k2").RetireSigningKey("default").PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    [Test]
    public async Task Another_key_under_an_installed_id_replaces_it_as_a_visible_step()
    {
        await using var db = await CreateAsync("signed_replace");
        await using var connection = await db.OpenAppAsync();

        var plan = await db.Installer().UseSignedContext(OtherKey).ApplyAsync();

        plan.Steps.Select(s => s.ToString()).ShouldBe([$"{KeyTable}: signing key 'default' differs from the given key"]);
        (await VerifyAsync(connection, Minter().TokenFor(Acme))).ShouldBeNull();
        (await VerifyAsync(connection, Minter(OtherKey).TokenFor(Acme))).ShouldBe(Acme);
    }

    [TestCase("grant select on dapper_tenants.signing_keys to {app}", KeyTable + ": role \"{app}\" holds privileges on the key table")]
    [TestCase("grant select (key_id, inner_pad) on dapper_tenants.signing_keys to {app}", KeyTable + ": role \"{app}\" holds privileges on the key table")]
    [TestCase("grant select on dapper_tenants.signing_keys to public", KeyTable + ": PUBLIC holds privileges on the key table")]
    [TestCase("alter table dapper_tenants.signing_keys disable row level security", KeyTable + ": key table without Row-Level Security")]
    [TestCase("alter table dapper_tenants.signing_keys alter column outer_pad set statistics -1", KeyTable + ": statistics may be collected on the key table's pads")]
    [TestCase("grant create on schema dapper_tenants to public", Schema + ": PUBLIC may CREATE in the schema of the signed context")]
    [TestCase("grant execute on function dapper_tenants.tenant_of(text) to public", Verifier + ": PUBLIC may execute the function")]
    [TestCase("revoke execute on function dapper_tenants.tenant_of(text) from {app}", Verifier + ": role \"{app}\" lacks EXECUTE on the function")]
    [TestCase("revoke usage on schema dapper_tenants from {app}", Schema + ": role \"{app}\" lacks USAGE on the schema of the signed context")]
    [TestCase("alter function dapper_tenants.tenant_of(text) reset search_path", Verifier + ": function differs from the model")]
    [TestCase("alter function dapper_tenants.tenant_of(text) volatile", Verifier + ": function differs from the model")]
    [TestCase("alter function dapper_tenants.tenant_of(text) security invoker", Verifier + ": function differs from the model")]
    [TestCase("create or replace function dapper_tenants.tenant_of(setting text) returns text language plpgsql stable security definer parallel restricted "
        + "set search_path = pg_catalog, pg_temp as $$ begin return 'globex'; end $$", Verifier + ": function differs from the model")]
    [TestCase("delete from dapper_tenants.signing_keys", KeyTable + ": signing key 'default' missing")]
    [TestCase("update dapper_tenants.signing_keys set inner_pad = outer_pad", KeyTable + ": signing key 'default' differs from the given key")]
    public async Task Drift_of_the_signed_context_is_named_by_the_plan_and_repaired_by_apply(string drift, string step)
    {
        await using var db = await CreateAsync("signed_drift");
        await db.Database.ExecuteAsOwnerAsync(drift.Replace("{app}", $"\"{db.AppRole}\"", StringComparison.Ordinal));

        var plan = await db.Installer().UseSignedContext(Key).PlanAsync();
        await db.Installer().UseSignedContext(Key).ApplyAsync();

        plan.Steps.Select(s => s.ToString()).ShouldBe([step.Replace("{app}", db.AppRole, StringComparison.Ordinal)]);
        (await db.Installer().UseSignedContext(Key).PlanAsync()).IsEmpty.ShouldBeTrue();
        await using var connection = await db.OpenAppAsync();
        (await VerifyAsync(connection, Minter().TokenFor(Acme))).ShouldBe(Acme);
    }

    [Test]
    public async Task Without_GrantTo_the_plan_warns_that_nobody_but_the_owner_may_verify()
    {
        await using var db = await CreateAsync("signed_nogrant", useSignedContext: false);

        var plan = await new PolicyInstaller(db.Owner).Add<SignedOrder>().Add<SignedDoc>().UseSignedContext(Key).PlanAsync();

        plan.Warnings.ShouldBe([
            "No role was given to GrantTo, and only the owner may execute \"dapper_tenants\".\"tenant_of\"(text): the application's login sees no rows "
            + "until it may. Call GrantTo(\"<login>\") (dapper-tenants --grant-to), or run: GRANT USAGE ON SCHEMA \"dapper_tenants\" TO \"<the application's login>\"; "
            + "GRANT EXECUTE ON FUNCTION \"dapper_tenants\".\"tenant_of\"(text) TO \"<the application's login>\"; "
            + "GRANT EXECUTE ON FUNCTION \"dapper_tenants\".\"token_status\"(text, text) TO \"<the application's login>\";"]);
    }

    [Test]
    public async Task A_schema_owned_by_another_role_is_an_error_and_nothing_is_applied()
    {
        await using var db = await CreateAsync("signed_foreign", useSignedContext: false);
        await db.Database.ExecuteAsAdminAsync("create schema dapper_tenants");
        await using var admin = NpgsqlDataSource.Create(db.Database.AdminConnectionString);
        var superuser = (string)(await admin.CreateCommand("select current_user::text").ExecuteScalarAsync())!;

        var plan = await db.Installer().UseSignedContext(Key).PlanAsync();
        var apply = await Should.ThrowAsync<RlsModelException>(() => db.Installer().UseSignedContext(Key).ApplyAsync());

        plan.Errors.ShouldBe([
            $"Schema \"dapper_tenants\" is owned by \"{superuser}\", so the installer's login \"{db.Database.OwnerRole}\" cannot keep the signed context's "
            + $"key table and verifier in it. Connect the installer as \"{superuser}\", or drop the schema."]);
        apply.Message.ShouldContain($"Schema \"dapper_tenants\" is owned by \"{superuser}\"");
    }

    [Test]
    public async Task The_servers_printed_forms_of_the_signed_expressions_are_the_predicted_ones()
    {
        await using var db = await CreateAsync("signed_expressions");
        await using var connection = await db.Owner.OpenConnectionAsync();
        (string Column, string ColumnType, uint Oid, TenantSqlType Type)[] shapes = [
            ("tenant", "text", 25, TenantSqlType.Text),
            ("Tenant Key", "character varying(20)", 1043, TenantSqlType.Text),
            ("tenant_id", "uuid", 2950, TenantSqlType.Uuid),
            ("TenantId", "integer", 23, TenantSqlType.Integer),
            ("tenant", "bigint", 20, TenantSqlType.BigInt),
        ];
        var keys = shapes.Select(s => new ExpressionKey(s.Column, s.ColumnType, s.Type)).ToList();
        await using var transaction = await connection.BeginTransactionAsync();

        var rendered = await ExpressionRenderer.RenderAsync(connection, keys, Setting, signed: true, CancellationToken.None);

        foreach (var (shape, key) in shapes.Zip(keys))
        {
            var quoted = await connection.ExecuteScalarAsync<string>("select quote_ident(@Column)", new { shape.Column });
            rendered[key].Own.ShouldBe(PredictedExpressions.Own(quoted!, shape.Oid, Setting, shape.Type, signed: true), shape.ColumnType);
            rendered[key].Shared.ShouldBe(PredictedExpressions.SharedRows(quoted!, Setting, signed: true), shape.ColumnType);
            rendered[key].Default.ShouldBe(PredictedExpressions.Default(Setting, shape.Type, signed: true), shape.ColumnType);
        }
    }

    [Test]
    public async Task The_request_path_still_discovers_signed_tables_and_their_tenant_columns()
    {
        await using var db = await CreateAsync("signed_catalog");
        await using var connection = await db.OpenAppAsync();

        var catalog = await DapperTenants.Catalog.CatalogReader.ReadAsync(connection, Setting, CancellationToken.None);

        catalog.Tables.Select(t => (t.Table, t.TenantColumn, t.TenantType)).OrderBy(t => t.Table, StringComparer.Ordinal)
            .ShouldBe([("signed_docs", "tenant", "text"), ("signed_orders", "tenant", "text")]);
    }

    [Test]
    public async Task Every_partition_gets_the_signed_policy_and_a_partition_queried_directly_shows_only_the_verified_tenant()
    {
        await using var db = await CreateAsync("signed_partitions");
        await db.Database.ExecuteAsOwnerAsync("""
            create table signed_events (tenant text not null, id int not null, primary key (tenant, id)) partition by list (tenant);
            create table signed_events_acme partition of signed_events for values in ('acme');
            create table signed_events_rest partition of signed_events default;
            """);
        await db.Database.ExecuteAsAdminAsync("insert into signed_events values ('acme', 1), ('globex', 2), ('initech', 3)");

        var plan = await db.Installer().Add<SignedEvent>().UseSignedContext(Key).ApplyAsync();
        await using var connection = await db.OpenAppAsync();
        await SetAsync(connection, Minter().TokenFor(Globex));
        var globexInRest = await connection.QueryAsync<int>("select id from signed_events_rest order by id");
        var globexInAcme = await connection.QueryAsync<int>("select id from signed_events_acme");
        await SetAsync(connection, Acme);

        plan.Steps.Count(s => s.Reason == "policy missing").ShouldBe(3);
        globexInRest.ShouldBe([2]);
        globexInAcme.ShouldBeEmpty();
        (await connection.QueryAsync<int>("select id from signed_events_acme")).ShouldBeEmpty("a bare tenant verifies nowhere");
        (await db.Installer().Add<SignedEvent>().UseSignedContext(Key).PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    private static async Task<string?> VerifyAsync(NpgsqlConnection connection, string token)
    {
        await SetAsync(connection, token);
        return await VerifiedAsync(connection);
    }

    [Rls("signed_events")]
    public sealed class SignedEvent
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }
}
