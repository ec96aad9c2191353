namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>One order to look up: its tenant (index and value) and its primary key.</summary>
public readonly record struct OrderKey(int TenantIndex, string Tenant, long Id);
