using System.Data;
using DapperTenants.Catalog;
using DapperTenants.Guard;
using Npgsql;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// A guard over an in-memory catalog shaped like the oracle's database, and a compact way to read its verdicts. Its
/// guards surface internal failures: a verdict of "pass" means analyzed and allowed, never "the analyzer crashed".
/// </summary>
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

    /// <summary>A guard with the default options (or changed ones) that throws its internal failures.</summary>
    public static TenantGuard NewGuard(Action<TenantOptions>? configure = null)
    {
        var options = new TenantOptions();
        configure?.Invoke(options);
        return new TenantGuard(GuardOptions.From(options), enabled: true, surfaceFailures: true);
    }

    /// <summary>"pass", or the refusal as "KIND table found" (parts that do not apply left out).</summary>
    public static string Verdict(string sql, string tenant = "acme", params (string? Name, object? Value)[] parameters) =>
        Verdict(NewGuard(), sql, tenant, sessionOutlivesLease: false, parameters);

    public static string Verdict(TenantGuard guard, string sql, string tenant, bool sessionOutlivesLease, params (string? Name, object? Value)[] parameters)
    {
        using var command = Command(parameters);
        return Verdict(guard, sql, command.Parameters, tenant, sessionOutlivesLease);
    }

    public static string Verdict(TenantGuard guard, string sql, NpgsqlParameterCollection parameters, string tenant, bool sessionOutlivesLease = false)
    {
        try
        {
            Evaluate(guard, sql, parameters, tenant, sessionOutlivesLease);
            return "pass";
        }
        catch (TenantGuardException ex)
        {
            return string.Join(" ", new[] { ex.StatementKind, ex.Table, ex.FoundTenant }.Where(p => p is not null));
        }
    }

    /// <summary>The refusal's message, or null when the statement passes.</summary>
    public static string? Message(string sql, string tenant = "acme", params (string? Name, object? Value)[] parameters) =>
        Message(NewGuard(), sql, sessionOutlivesLease: false, tenant, parameters);

    public static string? Message(TenantGuard guard, string sql, bool sessionOutlivesLease, string tenant = "acme", params (string? Name, object? Value)[] parameters)
    {
        using var command = Command(parameters);
        try
        {
            Evaluate(guard, sql, command.Parameters, tenant, sessionOutlivesLease);
            return null;
        }
        catch (TenantGuardException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>What the command path does: analyze (cached), then evaluate the plan for this execution.</summary>
    public static void Evaluate(TenantGuard guard, string sql, NpgsqlParameterCollection parameters, string tenant, bool sessionOutlivesLease = false) =>
        guard.Analyze(sql, CommandType.Text, TestCatalog).Plan.Evaluate(parameters, new GuardContext(tenant, sessionOutlivesLease));

    public static NpgsqlCommand Command(params (string? Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(name is null ? new NpgsqlParameter { Value = value } : new NpgsqlParameter(name, value));
        }

        return command;
    }
}
