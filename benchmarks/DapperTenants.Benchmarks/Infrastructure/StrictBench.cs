using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// The strict registry of the benchmark database (issue #20, "strict registry ≤ 1.02×"): the tenant registry installed by
/// the real <see cref="PolicyInstaller"/> with <see cref="PolicyInstaller.UseTenantRegistry()"/>, holding every tenant of
/// the data set and at least <see cref="RegisteredTenants"/> in all, for data sources with
/// <see cref="TenantOptions.RequireRegisteredTenant"/>.
/// </summary>
/// <remarks>
/// The strict side reads the same tables with the same policies as the default side; it differs only in the open's
/// admission check (a lookup in the data source's copy of the registry, and once per
/// <see cref="TenantOptions.RegistryRefreshInterval"/>, 5 s by default, a read of the whole registry), which is what the
/// ratio measures. Tenants beyond the data set's (<c>r0001</c>, …) only make the registry its stated size.
/// </remarks>
public static class StrictBench
{
    /// <summary>The least number of tenants the registry holds.</summary>
    public const int RegisteredTenants = 1_000;

    /// <summary>A value no strict open may admit: <see cref="OrderLookups.VerifyAsync"/> proves the check is on.</summary>
    public const string UnregisteredTenant = "not_registered";

    /// <summary>Gives a data source's options the strict mode, with the default refresh interval.</summary>
    public static void Configure(TenantOptions options, TenantContextScope scope = TenantContextScope.Transaction)
    {
        options.RequireRegisteredTenant = true;
        options.ContextScope = scope;
    }

    /// <summary>Installs the registry as the tables' owner, readable by the app login, and registers the tenants; prints the plan's warnings.</summary>
    public static async Task InstallAsync(string ownerConnectionString, string appRole, Dataset dataset)
    {
        await using var owner = NpgsqlDataSource.Create(ownerConnectionString);
        var plan = await new PolicyInstaller(owner).UseTenantRegistry().GrantTo(appRole).ApplyAsync();
        // This installer knows no [Rls] type, so it notes every policy in the database as unmapped: expected, not printed.
        foreach (var warning in plan.Warnings.Where(w => !w.Contains("no [Rls] type maps the table", StringComparison.Ordinal)))
        {
            Console.WriteLine("// installer warning: " + warning);
        }

        var registry = new TenantRegistry(owner);
        var fillers = Math.Max(0, RegisteredTenants - dataset.Tenants);
        var tenants = Enumerable.Range(1, dataset.Tenants).Select(dataset.Tenant)
            .Concat(Enumerable.Range(1, fillers).Select(i => "r" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var tenant in tenants)
        {
            if (!await registry.ExistsAsync(tenant))
            {
                await registry.CreateAsync(tenant);
            }
        }

        // As the seeder does for the data tables: no strict open pays for hint bits or a first autovacuum of the registry.
        await using var vacuum = owner.CreateCommand("vacuum (freeze, analyze) dapper_tenants.tenants");
        await vacuum.ExecuteNonQueryAsync();
    }
}
