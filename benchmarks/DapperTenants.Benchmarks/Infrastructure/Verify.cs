using DapperTenants.Benchmarks.Models;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// Checks, in each benchmark's global setup, that every variant returns the right row and cannot see another tenant's:
/// a variant that silently bypassed RLS, or read nothing, would make its numbers meaningless.
/// </summary>
internal static class Verify
{
    public static async Task OrderLookupAsync(string variant, Func<OrderKey, Task<Order?>> lookup, Dataset dataset, OrderKey key)
    {
        var own = await lookup(key);
        if (own is null || own.Id != key.Id || own.Tenant != key.Tenant)
        {
            throw new InvalidOperationException($"{variant}: order {key.Id} of tenant '{key.Tenant}' came back as {Describe(own)}.");
        }

        var otherTenant = key.TenantIndex % dataset.Tenants + 1;
        var foreign = key with { Id = dataset.OrderId(otherTenant, 0) };
        var leaked = await lookup(foreign);
        if (leaked is not null)
        {
            throw new InvalidOperationException($"{variant}: tenant '{key.Tenant}' can read order {foreign.Id} of tenant '{leaked.Tenant}'; the variant does not isolate tenants.");
        }
    }

    /// <summary>The same checks for a synchronous lookup (the diagnoses run synchronously).</summary>
    public static void OrderLookup(string variant, Func<OrderKey, Order?> lookup, Dataset dataset, OrderKey key) =>
        OrderLookupAsync(variant, k => Task.FromResult(lookup(k)), dataset, key).GetAwaiter().GetResult();

    public static void That(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static string Describe(Order? order) => order is null ? "no row" : $"order {order.Id} of tenant '{order.Tenant}'";
}
