using System.Globalization;
using DapperTenants.Catalog;
using Npgsql;
using PgConnection = Npgsql.NpgsqlConnection;

namespace DapperTenants.Connections;

/// <summary>
/// The first open of a data source with a signing key checks that a freshly signed token verifies on the server, and
/// otherwise throws a <see cref="SignedContextException"/> that names the cause, instead of leaving every tenant to see
/// no rows. Two round trips, once per data source.
/// </summary>
/// <remarks>
/// Run it on an open connection outside a transaction (the probe token is set with <c>set_config(…, true)</c> and
/// vanishes with the probe's implicit transaction). Causes, in the order checked: the verifier is not installed; the
/// login may not execute it; protected tables' policies still read the raw setting; the key id is not installed; the
/// key differs; the server's clock is ahead by more than a token's lifetime; a pooler hides the backend a bound token
/// names. It reads the catalog and calls the diagnostic function, which never reveals a key.
/// </remarks>
internal static class SignedContextCheck
{
    /// <summary>The tenant of the probe token; it is never compared with a row.</summary>
    public const string ProbeTenant = "dapper-tenants startup check";

    // $1: the setting. Which functions exist and may be executed, and which protected tables' permissive policies
    // read the raw setting (pg_get_expr prints current_setting('<setting>'::text, true)).
    private const string ProbeSql = $"""
        select v.oid is not null and d.oid is not null,
               coalesce(has_schema_privilege(n.oid, 'USAGE') and has_function_privilege(v.oid, 'EXECUTE')
                        and has_function_privilege(d.oid, 'EXECUTE'), false),
               current_user::text, current_database()::text,
               array(select distinct format('%I.%I', pn.nspname, c.relname)
                     from pg_policy p
                     join pg_class c on c.oid = p.polrelid
                     join pg_namespace pn on pn.oid = c.relnamespace
                     where c.relrowsecurity and p.polpermissive
                       and (strpos(coalesce(pg_get_expr(p.polqual, p.polrelid), ''), 'current_setting(' || quote_literal($1::text)) > 0
                            or strpos(coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), 'current_setting(' || quote_literal($1::text)) > 0)
                     order by 1)
        from (select 1) one
        left join pg_namespace n on n.nspname = '{SignedContextNames.Schema}'
        left join pg_proc v on v.pronamespace = n.oid and v.proname = '{SignedContextNames.Verifier}' and oidvectortypes(v.proargtypes) = 'text'
        left join pg_proc d on d.pronamespace = n.oid and d.proname = '{SignedContextNames.Diagnostic}' and oidvectortypes(d.proargtypes) = 'text, text'
        """;

    private const string SetSql = "select set_config($1, $2, true)";

    private const string VerifySql = $"""
        select {SignedContextNames.QualifiedVerifier}($1), s.status, s.server_time, s.key_ids, pg_backend_pid()
        from {SignedContextNames.QualifiedDiagnostic}($1, $2) s
        """;

    /// <summary>Checks the signed context on <paramref name="connection"/>, as the application's login.</summary>
    /// <param name="connection">An open connection of the data source, outside a transaction.</param>
    /// <param name="minter">The data source's minter.</param>
    /// <param name="backendProcessId">0 to probe with a token for any backend; a backend's process id to probe with a bound one.</param>
    /// <exception cref="SignedContextException">A fresh token does not verify; the message names the cause and the fix.</exception>
    public static void Run(PgConnection connection, TenantTokenMinter minter, int backendProcessId = 0)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(minter);
        Probe probe;
        using (var command = new NpgsqlCommand(ProbeSql, connection) { Parameters = { new NpgsqlParameter { Value = minter.SettingName } } })
        using (var reader = command.ExecuteReader())
        {
            reader.Read();
            probe = ReadProbe(reader);
        }

        ThrowIfNotReady(probe, minter);
        var token = minter.MintFresh(ProbeTenant, backendProcessId);
        using var batch = CreateVerifyBatch(connection, minter, token);
        using (var reader = batch.ExecuteReader())
        {
            reader.NextResult();
            reader.Read();
            ThrowIfUnverified(ReadVerdict(reader), probe, minter, token, backendProcessId);
        }
    }

    /// <summary>Checks the signed context on <paramref name="connection"/>, as the application's login.</summary>
    /// <param name="connection">An open connection of the data source, outside a transaction.</param>
    /// <param name="minter">The data source's minter.</param>
    /// <param name="backendProcessId">0 to probe with a token for any backend; a backend's process id to probe with a bound one.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="SignedContextException">A fresh token does not verify; the message names the cause and the fix.</exception>
    public static async Task RunAsync(PgConnection connection, TenantTokenMinter minter, int backendProcessId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(minter);
        Probe probe;
        var command = new NpgsqlCommand(ProbeSql, connection) { Parameters = { new NpgsqlParameter { Value = minter.SettingName } } };
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                probe = ReadProbe(reader);
            }
        }

        ThrowIfNotReady(probe, minter);
        var token = minter.MintFresh(ProbeTenant, backendProcessId);
        var batch = CreateVerifyBatch(connection, minter, token);
        await using (batch.ConfigureAwait(false))
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                ThrowIfUnverified(ReadVerdict(reader), probe, minter, token, backendProcessId);
            }
        }
    }

    private static NpgsqlBatch CreateVerifyBatch(PgConnection connection, TenantTokenMinter minter, TenantToken token) => new(connection)
    {
        BatchCommands =
        {
            new NpgsqlBatchCommand(SetSql) { Parameters = { new NpgsqlParameter { Value = minter.SettingName }, new NpgsqlParameter { Value = token.Value } } },
            new NpgsqlBatchCommand(VerifySql) { Parameters = { new NpgsqlParameter { Value = minter.SettingName }, new NpgsqlParameter { Value = token.Value } } },
        },
    };

    private static Probe ReadProbe(NpgsqlDataReader reader) =>
        new(reader.GetBoolean(0), reader.GetBoolean(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<string[]>(4));

    private static Verdict ReadVerdict(NpgsqlDataReader reader) => new(
        reader.IsDBNull(0) ? null : reader.GetString(0),
        reader.GetString(1),
        reader.GetFieldValue<DateTimeOffset>(2),
        reader.GetFieldValue<string[]>(3),
        reader.GetInt32(4));

    private static void ThrowIfNotReady(Probe probe, TenantTokenMinter minter)
    {
        var database = Quote(probe.Database);
        if (!probe.Installed)
        {
            throw new SignedContextException(
                $"The signed tenant context is not installed in database {database}: there is no {SignedContextNames.Schema}.{SignedContextNames.Verifier}(text) "
                + "to verify tokens, so every tenant would see no rows. Install it as the tables' owner with "
                + $"PolicyInstaller.UseSignedContext(key, \"{minter.KeyId}\") and ApplyAsync() (or dapper-tenants apply --signing-key-file ...), "
                + "or remove TenantOptions.SigningKey to use the unsigned context.",
                SignedContextProblem.NotInstalled);
        }

        if (!probe.Executable)
        {
            var login = Quote(probe.Login);
            throw new SignedContextException(
                $"The login {login} may not execute the signed context's functions in database {database}, so every tenant would see no rows. "
                + $"Grant it as the tables' owner: PolicyInstaller.GrantTo(\"{probe.Login}\") (dapper-tenants apply --grant-to), or "
                + $"GRANT USAGE ON SCHEMA {SignedContextNames.Schema} TO {login}; GRANT EXECUTE ON FUNCTION {SignedContextNames.Schema}.{SignedContextNames.Verifier}(text), "
                + $"{SignedContextNames.Schema}.{SignedContextNames.Diagnostic}(text, text) TO {login};",
                SignedContextProblem.NotExecutable);
        }

        if (probe.RawTables.Length > 0)
        {
            var subject = probe.RawTables.Length == 1 ? "1 protected table still reads" : $"{probe.RawTables.Length} protected tables still read";
            throw new SignedContextException(
                $"{subject} the raw setting {minter.SettingName} instead of the signed context in database {database}: "
                + $"{string.Join(", ", probe.RawTables)}. Their policies would show no rows to a data source with TenantOptions.SigningKey, and "
                + "let SQL that sets the setting switch tenants. Apply the policies again with PolicyInstaller.UseSignedContext(key, \""
                + $"{minter.KeyId}\") (or dapper-tenants apply --signing-key-file ...).",
                SignedContextProblem.PoliciesReadRawSetting);
        }
    }

    private static void ThrowIfUnverified(Verdict verdict, Probe probe, TenantTokenMinter minter, TenantToken token, int backendProcessId)
    {
        var database = Quote(probe.Database);
        var keyId = minter.KeyId;
        switch (verdict.Status)
        {
            case "verified" when verdict.Tenant == ProbeTenant:
                return;
            case "unknown key":
                var installed = verdict.KeyIds.Length == 0 ? "no key is installed" : "installed: " + string.Join(", ", verdict.KeyIds.Select(k => "'" + k + "'"));
                throw new SignedContextException(
                    $"The signing key id '{keyId}' (TenantOptions.SigningKeyId) is not installed in database {database}; {installed}. "
                    + $"Install the key under that id first, as the tables' owner: PolicyInstaller.UseSignedContext(key, \"{keyId}\") "
                    + $"(dapper-tenants apply --signing-key-id {keyId} ...), or set TenantOptions.SigningKeyId to an installed id.",
                    SignedContextProblem.KeyIdNotInstalled);
            case "bad signature":
                throw new SignedContextException(
                    $"A token signed with TenantOptions.SigningKey does not verify in database {database}: the key installed there under the id "
                    + $"'{keyId}' is a different one. Give the application the key that PolicyInstaller.UseSignedContext installed under '{keyId}', "
                    + "or install this key under a new id and set TenantOptions.SigningKeyId to it.",
                    SignedContextProblem.WrongKey);
            case "expired":
                var now = minter.Time.GetUtcNow();
                var skew = (long)Math.Round((verdict.ServerTime - now).TotalSeconds);
                var lifetime = (long)Math.Ceiling(minter.Lifetime.TotalSeconds);
                throw new SignedContextException(
                    $"A token signed just now has already expired in database {database}: the database server's clock is {skew} seconds ahead of "
                    + $"the application's (server {Format(verdict.ServerTime)}, application {Format(now)}), and tokens live {lifetime} seconds "
                    + $"(TenantOptions.SigningTokenLifetime, expiry {Format(token.ExpiresAt)}). Synchronize both clocks (NTP); a longer lifetime only hides the gap.",
                    SignedContextProblem.ClockSkew);
            case "other backend":
                throw new SignedContextException(
                    $"A token bound to backend process {backendProcessId} was checked by backend process {verdict.Backend} in database {database}: "
                    + "something between the application and PostgreSQL (a connection pooler such as PgBouncer) hands statements to other backends, "
                    + "so tokens cannot be bound to the backend there. Use unbound tokens with this connection string.",
                    SignedContextProblem.OtherBackend);
            default:
                throw new SignedContextException(
                    $"A token signed for the startup check does not verify in database {database}: the diagnostic says '{verdict.Status}' and the "
                    + $"verifier returned {(verdict.Tenant is null ? "NULL" : "'" + verdict.Tenant + "'")}. The signed context's functions may be from "
                    + "another version of DapperTenants: apply the policies again with PolicyInstaller.UseSignedContext.",
                    SignedContextProblem.Unverified);
        }
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed record Probe(bool Installed, bool Executable, string Login, string Database, string[] RawTables);

    private sealed record Verdict(string? Tenant, string Status, DateTimeOffset ServerTime, string[] KeyIds, int Backend);
}
