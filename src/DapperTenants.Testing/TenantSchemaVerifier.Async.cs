using DapperTenants.Catalog;
using DapperTenants.Testing.Verification;
using Npgsql;

namespace DapperTenants.Testing;

public sealed partial class TenantSchemaVerifier
{
    /// <summary>Runs every check and probe on every added type's table.</summary>
    /// <param name="cancellationToken">Cancels the catalog reads and the probes (the probes' transaction is still rolled back).</param>
    /// <returns>The report; <see cref="SchemaVerificationReport.Passed"/> when every table is isolated.</returns>
    /// <exception cref="RlsModelException">The types cannot be turned into policies (every problem in one message).</exception>
    /// <exception cref="InvalidOperationException">No type was added.</exception>
    public async Task<SchemaVerificationReport> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var models = Models();
        var request = Request(models);
        CatalogTables tables;
        var owner = await _owner.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (owner.ConfigureAwait(false))
        {
            tables = await CatalogReader.ReadTablesAsync(owner, request, cancellationToken).ConfigureAwait(false);
        }

        var app = await _app.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (app.ConfigureAwait(false))
        {
            string login;
            var command = new NpgsqlCommand(LoginSql, app);
            await using (command.ConfigureAwait(false))
            {
                login = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }

            var audit = await new TenantAudit(_owner, AuditOptions(models, login)).RunAsync(cancellationToken).ConfigureAwait(false);
            var runner = new ProbeRunner(app, _options.SettingName, ContextValue());
            var results = new List<TableVerification>();
            foreach (var model in models)
            {
                var (findings, plan) = Check(model, tables, audit);
                if (plan is not null)
                {
                    findings.AddRange(await runner.RunAsync(plan, cancellationToken).ConfigureAwait(false));
                }

                results.Add(Result(model, tables, findings));
            }

            return new SchemaVerificationReport(login, LoginFindings(audit), results);
        }
    }

    /// <summary>Runs <see cref="VerifyAsync(CancellationToken)"/> and throws if the report did not pass.</summary>
    /// <param name="cancellationToken">Cancels the catalog reads and the probes.</param>
    /// <returns>The report, which passed.</returns>
    /// <exception cref="SchemaVerificationException">A table is not isolated or not verified; the message lists every finding.</exception>
    public async Task<SchemaVerificationReport> AssertVerifiedAsync(CancellationToken cancellationToken = default) =>
        ThrowIfFailed(await VerifyAsync(cancellationToken).ConfigureAwait(false));
}
