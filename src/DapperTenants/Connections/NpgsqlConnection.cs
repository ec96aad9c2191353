namespace DapperTenants.Connections;

/// <summary>The runtime type of every <see cref="TenantConnection"/>.</summary>
/// <remarks>
/// Its name is deliberate. Dapper decides by the connection's type name whether a list parameter is sent as a
/// PostgreSQL array (<c>= ANY(@ids)</c>) or expanded into <c>(@ids1, @ids2, …)</c>; it recognizes only
/// <c>NpgsqlConnection</c>. Bearing that name makes Dapper treat a tenant connection exactly as Npgsql's own,
/// so <c>ANY(@ids)</c> works and <c>IN @ids</c> fails just as it does on a plain Npgsql connection.
/// </remarks>
internal sealed class NpgsqlConnection : TenantConnection
{
    public NpgsqlConnection(TenantDataSource source, Npgsql.NpgsqlConnection inner, string tenant)
        : base(source, inner, tenant)
    {
    }
}
