using DapperTenants.Connections;
using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Signed.SignedDatabase;

namespace DapperTenants.Tests.Signed;

/// <summary>
/// The check the first open of a signed data source runs: silent when a fresh token verifies, otherwise a
/// <see cref="SignedContextException"/> whose exact message names the cause and the fix. Sync and async.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public sealed class StartupCheckTests(SyncOrAsync mode)
{
    private SignedDatabase _signed = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _signed = await CreateAsync("signed_check");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _signed.DisposeAsync();

    [Test]
    public async Task A_database_with_the_signed_context_and_the_same_key_passes()
    {
        await CheckAsync(_signed, Minter());
    }

    [Test]
    public async Task A_token_bound_to_the_checking_backend_passes_on_a_direct_connection()
    {
        await using var connection = await _signed.OpenAppAsync();

        await RunAsync(connection, Minter(), connection.ProcessID);
    }

    [Test]
    public async Task Without_the_signed_context_the_check_says_it_is_not_installed()
    {
        await using var unsigned = await CreateAsync("signed_check_none", useSignedContext: false);

        var ex = await Should.ThrowAsync<SignedContextException>(() => CheckAsync(unsigned, Minter()));

        ex.Problem.ShouldBe(SignedContextProblem.NotInstalled);
        ex.Message.ShouldBe(
            $"The signed tenant context is not installed in database \"{unsigned.Database.Name}\": there is no dapper_tenants.tenant_of(text) to verify "
            + "tokens, so every tenant would see no rows. Install it as the tables' owner with PolicyInstaller.UseSignedContext(key, \"default\") and "
            + "ApplyAsync() (or dapper-tenants apply --signing-key-file ...), or remove TenantOptions.SigningKey to use the unsigned context.");
    }

    [Test]
    public async Task A_login_that_may_not_execute_the_verifier_is_told_what_to_grant()
    {
        await using var db = await CreateAsync("signed_check_grant", useSignedContext: false);
        await new PolicyInstaller(db.Owner).Add<SignedOrder>().Add<SignedDoc>().UseSignedContext(Key).ApplyAsync();

        var ex = await Should.ThrowAsync<SignedContextException>(() => CheckAsync(db, Minter()));

        ex.Problem.ShouldBe(SignedContextProblem.NotExecutable);
        var login = $"\"{db.AppRole}\"";
        ex.Message.ShouldBe(
            $"The login {login} may not execute the signed context's functions in database \"{db.Database.Name}\", so every tenant would see no rows. "
            + $"Grant it as the tables' owner: PolicyInstaller.GrantTo(\"{db.AppRole}\") (dapper-tenants apply --grant-to), or "
            + $"GRANT USAGE ON SCHEMA dapper_tenants TO {login}; GRANT EXECUTE ON FUNCTION dapper_tenants.tenant_of(text), "
            + $"dapper_tenants.token_status(text, text) TO {login};");
    }

    [Test]
    public async Task Tables_whose_policies_still_read_the_raw_setting_are_named()
    {
        await using var db = await CreateAsync("signed_check_raw");
        await new PolicyInstaller(db.Owner).Add<SignedDoc>().ApplyAsync();

        var ex = await Should.ThrowAsync<SignedContextException>(() => CheckAsync(db, Minter()));

        ex.Problem.ShouldBe(SignedContextProblem.PoliciesReadRawSetting);
        ex.Message.ShouldBe(
            $"1 protected table still reads the raw setting dapper_tenants.tenant instead of the signed context in database \"{db.Database.Name}\": "
            + "public.signed_docs. Their policies would show no rows to a data source with TenantOptions.SigningKey, and let SQL that sets the setting "
            + "switch tenants. Apply the policies again with PolicyInstaller.UseSignedContext(key, \"default\") (or dapper-tenants apply --signing-key-file ...).");
    }

    [Test]
    public async Task A_key_id_that_is_not_installed_is_named_with_the_installed_ones()
    {
        var ex = await Should.ThrowAsync<SignedContextException>(() => CheckAsync(_signed, Minter(keyId: "k2")));

        ex.Problem.ShouldBe(SignedContextProblem.KeyIdNotInstalled);
        ex.Message.ShouldBe(
            $"The signing key id 'k2' (TenantOptions.SigningKeyId) is not installed in database \"{_signed.Database.Name}\"; installed: 'default'. "
            + "Install the key under that id first, as the tables' owner: PolicyInstaller.UseSignedContext(key, \"k2\") "
            + "(dapper-tenants apply --signing-key-id k2 ...), or set TenantOptions.SigningKeyId to an installed id.");
    }

    [Test]
    public async Task Another_key_under_the_installed_id_is_a_wrong_key()
    {
        var ex = await Should.ThrowAsync<SignedContextException>(() => CheckAsync(_signed, Minter(OtherKey)));

        ex.Problem.ShouldBe(SignedContextProblem.WrongKey);
        ex.Message.ShouldBe(
            $"A token signed with TenantOptions.SigningKey does not verify in database \"{_signed.Database.Name}\": the key installed there under the id "
            + "'default' is a different one. Give the application the key that PolicyInstaller.UseSignedContext installed under 'default', "
            + "or install this key under a new id and set TenantOptions.SigningKeyId to it.");
    }

    [Test]
    public async Task An_application_clock_an_hour_behind_the_server_is_reported_in_seconds()
    {
        var minter = Minter(time: new OffsetClock(TimeSpan.FromHours(-1)));

        var ex = await Should.ThrowAsync<SignedContextException>(() => CheckAsync(_signed, minter));

        ex.Problem.ShouldBe(SignedContextProblem.ClockSkew);
        const string time = @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ";
        ex.Message.ShouldMatch(
            $"^A token signed just now has already expired in database \"{_signed.Database.Name}\": the database server's clock is 3600 seconds ahead of "
            + $@"the application's \(server {time}, application {time}\), and tokens live 300 seconds \(TenantOptions\.SigningTokenLifetime, expiry {time}\)\. "
            + @"Synchronize both clocks \(NTP\); a longer lifetime only hides the gap\.$");
    }

    [Test]
    public async Task A_token_bound_to_another_backend_says_a_pooler_sits_between()
    {
        await using var connection = await _signed.OpenAppAsync();

        var ex = await Should.ThrowAsync<SignedContextException>(() => RunAsync(connection, Minter(), connection.ProcessID + 1));

        ex.Problem.ShouldBe(SignedContextProblem.OtherBackend);
        ex.Message.ShouldBe(
            $"A token bound to backend process {connection.ProcessID + 1} was checked by backend process {connection.ProcessID} in database "
            + $"\"{_signed.Database.Name}\": something between the application and PostgreSQL (a connection pooler such as PgBouncer) hands statements "
            + "to other backends, so tokens cannot be bound to the backend there. Use unbound tokens with this connection string.");
    }

    [Test]
    public async Task The_check_leaves_no_token_in_the_session()
    {
        await using var connection = await _signed.OpenAppAsync();

        await RunAsync(connection, Minter(), 0);

        (await connection.ExecuteScalarAsync<string?>("select current_setting('dapper_tenants.tenant', true)")).ShouldBeNullOrEmpty();
    }

    private async Task CheckAsync(SignedDatabase db, TenantTokenMinter minter)
    {
        await using var connection = await db.OpenAppAsync();
        await RunAsync(connection, minter, 0);
    }

    private Task RunAsync(Npgsql.NpgsqlConnection connection, TenantTokenMinter minter, int backend)
    {
        if (mode == SyncOrAsync.Async)
        {
            return SignedContextCheck.RunAsync(connection, minter, backend);
        }

        try
        {
            SignedContextCheck.Run(connection, minter, backend);
            return Task.CompletedTask;
        }
        catch (SignedContextException ex)
        {
            return Task.FromException(ex);
        }
    }

    private sealed class OffsetClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
