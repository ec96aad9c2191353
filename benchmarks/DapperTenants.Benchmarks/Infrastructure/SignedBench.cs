using DapperTenants.Benchmarks.Models;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// The signed context of the benchmark database: <c>signed_orders</c>, <c>signed_customers</c> and
/// <c>signed_payments</c>, row for row the same as <c>orders</c>, <c>customers</c> and <c>payments</c>, installed by the
/// real <see cref="PolicyInstaller"/> with <see cref="PolicyInstaller.UseSignedContext"/>.
/// </summary>
/// <remarks>
/// The signed tables read a setting of their own (<see cref="SettingName"/>): a signed data source's startup check
/// refuses a database in which any policy still reads its setting raw, and the unsigned tables, the reference of the
/// comparison, read <c>dapper_tenants.tenant</c> raw. Their policy text is the one the installer writes without a key
/// (<c>tenant = (SELECT NULLIF(current_setting('dapper_tenants.tenant', true), '')::text)</c>), so the two sides differ
/// only in the verifier and the token.
/// </remarks>
public static class SignedBench
{
    /// <summary>The setting the signed tables' policies verify.</summary>
    public const string SettingName = "bench_signed.tenant";

    public const string KeyId = "bench";

    /// <summary>A fixed key (a benchmark database holds nothing secret), so a kept database stays usable across runs.</summary>
    public static readonly byte[] Key = [.. Enumerable.Range(0, 32).Select(i => (byte)(0xA5 ^ (i * 7)))];

    /// <summary>Gives a signed data source's options this context's setting, key and key id.</summary>
    public static void Configure(TenantOptions options, TenantContextScope scope = TenantContextScope.Transaction)
    {
        options.SettingName = SettingName;
        options.SigningKey = Key;
        options.SigningKeyId = KeyId;
        options.ContextScope = scope;
    }

    /// <summary>Installs the signed context and the three tables' policies, as the tables' owner; prints the plan's warnings.</summary>
    public static async Task InstallAsync(string ownerConnectionString, string appRole)
    {
        await using var owner = NpgsqlDataSource.Create(ownerConnectionString);
        var plan = await new PolicyInstaller(owner, new TenantOptions { SettingName = SettingName })
            .Add<SignedOrderRow>()
            .Add<SignedCustomerRow>()
            .Add<SignedPaymentRow>()
            .GrantTo(appRole)
            .UseSignedContext(Key, KeyId)
            .ApplyAsync();
        foreach (var warning in plan.Warnings)
        {
            Console.WriteLine("// installer warning: " + warning);
        }
    }
}
