using System.Security.Cryptography;
using Dapper;
using DapperTenants.Testing;
using Spectre.Console;

namespace DapperTenants.Cli.Demo;

/// <summary>The signed context step: an injected <c>set_config</c> switches tenants under the raw setting, and reaches nothing once signed.</summary>
internal sealed partial class DemoRunner
{
    // What injected SQL would send: the tenant setting changed for the rest of the transaction, then a read.
    private const string Injected = "select set_config('dapper_tenants.tenant', 'globex', true)";
    private const string InjectedRead = "select tenant, id, name from customers order by id";

    private async Task ShowSignedContextAsync(TestDatabase database, CancellationToken cancellationToken)
    {
        Step("Injected SQL: acme's code sets the tenant itself, without and with the signed context");
        Note(Injected + ";  " + InjectedRead);
        Note("(the guard would refuse this text; it is off here, standing in for SQL it cannot read, such as a function's body)");

        var raw = await ReadAfterInjectionAsync(database, null, cancellationToken).ConfigureAwait(false);
        Check(raw.Count > 0 && raw.All(r => r == Globex),
            $"with the raw setting: acme's connection read {raw.Count} row(s) of {string.Join(", ", raw.Distinct())}, the tenant was switched");

        var key = RandomNumberGenerator.GetBytes(32);
        var owner = database.CreateOwnerDataSource();
        await using (owner.ConfigureAwait(false))
        {
            var plan = await new PolicyInstaller(owner).Add<Customer>().Add<Order>().GrantTo(database.AppRole).UseSignedContext(key).ApplyAsync(cancellationToken).ConfigureAwait(false);
            Note($"PolicyInstaller.UseSignedContext(key): {plan.Steps.Count} steps; the policies now trust only a token signed with the data source's key");
        }

        var signed = await ReadAfterInjectionAsync(database, key, cancellationToken).ConfigureAwait(false);
        Check(signed.Count == 0, $"with TenantOptions.SigningKey: the same statements read {signed.Count} rows, a value set by SQL verifies as no tenant");

        var own = database.CreateTenantDataSource(configureOptions: o => o.SigningKey = key);
        await using (own.ConfigureAwait(false))
        {
            var connection = await own.OpenAsync(Acme, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var rows = (await connection.QueryAsync<string>(new CommandDefinition("select tenant from customers", cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
                Check(rows.Count > 0 && rows.All(r => r == Acme), $"and acme's own reads still see its {rows.Count} customers");
            }
        }
    }

    private async Task<List<string>> ReadAfterInjectionAsync(TestDatabase database, byte[]? key, CancellationToken cancellationToken)
    {
        var tenants = database.CreateTenantDataSource(configureOptions: o =>
        {
            ConfigureTenants?.Invoke(o);
            o.GuardMode = TenantGuardMode.Off;
            o.SigningKey = key;
        });
        await using (tenants.ConfigureAwait(false))
        {
            var connection = await tenants.OpenAsync(Acme, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    await connection.ExecuteAsync(new CommandDefinition(Injected, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    var rows = await connection.QueryAsync<Customer>(new CommandDefinition(InjectedRead, transaction: transaction, cancellationToken: cancellationToken))
                        .ConfigureAwait(false);
                    return [.. rows.Select(r => r.Tenant)];
                }
            }
        }
    }
}
