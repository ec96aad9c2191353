using System.Data;
using DapperTenants.Catalog;
using DapperTenants.Guard;
using Npgsql;

namespace DapperTenants.Tests.Guard;

/// <summary>A guard over an in-memory catalog shaped like the oracle's database, and a compact way to read its verdicts.</summary>
internal static class GuardHarness
{
    public const string Setting = "dapper_tenants.tenant";
    public const string AcmeUuid = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
    public const string GlobexUuid = "b1ffcd00-0000-4000-8000-000000000002";

    public static TenantCatalog TestCatalog { get; } = new("app", false, false, "public",
    [
        new ProtectedTable("public", "orders", "tenant", "text", ["id", "tenant", "total"]),
        new ProtectedTable("public", "Invoices", "tenant_id", "uuid", ["tenant_id", "Id", "note"]),
        new ProtectedTable("public", "accounts", "tenant", "integer", ["id", "name", "tenant"]),
        new ProtectedTable("app", "notes", "tenant", "character varying(20)", ["id", "body", "tenant"]),
        new ProtectedTable("public", "padded", "tenant", "character(10)", ["id", "tenant"]),
    ]);

    /// <summary>"pass", or the refusal as "KIND table found" (parts that do not apply left out).</summary>
    public static string Verdict(string sql, string tenant = "acme", params (string? Name, object? Value)[] parameters)
    {
        using var command = new NpgsqlCommand();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(name is null ? new NpgsqlParameter { Value = value } : new NpgsqlParameter(name, value));
        }

        return Verdict(new TenantGuard(Setting), sql, command.Parameters, tenant);
    }

    public static string Verdict(TenantGuard guard, string sql, NpgsqlParameterCollection parameters, string tenant)
    {
        try
        {
            guard.Check(sql, CommandType.Text, parameters, tenant, TestCatalog);
            return "pass";
        }
        catch (TenantGuardException ex)
        {
            return string.Join(" ", new[] { ex.StatementKind, ex.Table, ex.FoundTenant }.Where(p => p is not null));
        }
    }

    /// <summary>The refusal's message, or null when the statement passes.</summary>
    public static string? Message(string sql, string tenant = "acme", params (string? Name, object? Value)[] parameters)
    {
        using var command = new NpgsqlCommand();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(name is null ? new NpgsqlParameter { Value = value } : new NpgsqlParameter(name, value));
        }

        try
        {
            new TenantGuard(Setting).Check(sql, CommandType.Text, command.Parameters, tenant, TestCatalog);
            return null;
        }
        catch (TenantGuardException ex)
        {
            return ex.Message;
        }
    }
}
