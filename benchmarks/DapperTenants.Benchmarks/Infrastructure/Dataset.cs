using System.Globalization;
using Dapper;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// The shape of the seeded data, shared by the seeder (which writes it) and the benchmarks (which draw keys from it).
/// </summary>
/// <remarks>
/// Order <c>n</c> (1-based) belongs to tenant <c>(n - 1) % Tenants + 1</c>, so every tenant has <c>Rows / Tenants</c> orders
/// spread evenly over the heap, as rows of many tenants interleave in a real table. Tenant <c>i</c> is the text
/// <c>t0001</c>-style value, and its role (role-per-tenant variant) is <see cref="RolePrefix"/> followed by that value.
/// </remarks>
public sealed class Dataset
{
    /// <summary>Customers per tenant; order <c>n</c> belongs to customer <c>((n - 1) / Tenants % 10) * Tenants + tenant index</c>.</summary>
    public const int CustomersPerTenant = 10;

    /// <summary>Bump when the schema or the data changes, so an existing benchmark database is rebuilt.</summary>
    public const int SchemaVersion = 3;

    public Dataset(int rows, int tenants, string rolePrefix)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tenants, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tenants, 99_999);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, tenants);
        Tenants = tenants;
        Rows = rows / tenants * tenants;
        RolePrefix = rolePrefix;
        TenantWidth = Math.Max(4, tenants.ToString(CultureInfo.InvariantCulture).Length);
    }

    public int Rows { get; }

    public int Tenants { get; }

    public int OrdersPerTenant => Rows / Tenants;

    /// <summary>The prefix of the role-per-tenant roles; unique per database, since roles are cluster-wide.</summary>
    public string RolePrefix { get; }

    /// <summary>Digits in a tenant value: <c>t0001</c> has four.</summary>
    public int TenantWidth { get; }

    /// <summary>What <c>bench_meta</c> records; a database whose record differs is rebuilt.</summary>
    public string Signature => string.Create(CultureInfo.InvariantCulture, $"v{SchemaVersion};rows={Rows};tenants={Tenants};roles={RolePrefix}");

    public string Tenant(int tenantIndex) => "t" + tenantIndex.ToString("D" + TenantWidth.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public string Role(int tenantIndex) => RolePrefix + Tenant(tenantIndex);

    public long OrderId(int tenantIndex, int ordinal) => ((long)ordinal * Tenants) + tenantIndex;

    public long CustomerOf(long orderId) => ((orderId - 1) / Tenants % CustomersPerTenant * Tenants) + ((orderId - 1) % Tenants) + 1;

    /// <summary>Draws random (tenant, order) keys from a fixed seed, so every variant and every run sees the same sequence.</summary>
    public OrderKey[] DrawKeys(int count, int seed)
    {
        var random = new Random(seed);
        var keys = new OrderKey[count];
        for (var i = 0; i < count; i++)
        {
            var tenantIndex = random.Next(1, Tenants + 1);
            keys[i] = new OrderKey(tenantIndex, Tenant(tenantIndex), OrderId(tenantIndex, random.Next(OrdersPerTenant)));
        }

        return keys;
    }

    /// <summary>Draws random orders of one tenant.</summary>
    public OrderKey[] DrawKeysOfTenant(int tenantIndex, int count, int seed)
    {
        var random = new Random(seed);
        var keys = new OrderKey[count];
        for (var i = 0; i < count; i++)
        {
            keys[i] = new OrderKey(tenantIndex, Tenant(tenantIndex), OrderId(tenantIndex, random.Next(OrdersPerTenant)));
        }

        return keys;
    }

    /// <summary>Reads the layout the seeder recorded; the benchmark processes call it in their global setup.</summary>
    public static async Task<Dataset> ReadAsync(string ownerConnectionString)
    {
        var connection = new NpgsqlConnection(ownerConnectionString);
        await using (connection)
        {
            var meta = (await connection.QueryAsync<(string Key, string Value)>("select key, value from bench_meta")).ToDictionary(r => r.Key, r => r.Value);
            if (!meta.TryGetValue("signature", out var signature) || !meta.TryGetValue("rows", out var rows)
                || !meta.TryGetValue("tenants", out var tenants) || !meta.TryGetValue("role_prefix", out var rolePrefix))
            {
                throw new InvalidOperationException("The benchmark database has no complete bench_meta record: it was not seeded. Run through the benchmarks' entry point.");
            }

            var dataset = new Dataset(int.Parse(rows, CultureInfo.InvariantCulture), int.Parse(tenants, CultureInfo.InvariantCulture), rolePrefix);
            return dataset.Signature == signature
                ? dataset
                : throw new InvalidOperationException($"The benchmark database was seeded as '{signature}', which this build does not understand ({dataset.Signature}). Re-seed it.");
        }
    }
}
