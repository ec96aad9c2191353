using DapperTenants.AspNetCore.Resolution;
using DapperTenants.AspNetCore.Tests.Support;

namespace DapperTenants.AspNetCore.Tests.Registration;

/// <summary>
/// The integration repeats the data source's rules for tenant values (to answer 400 before the endpoint runs): both
/// must agree on every value, or a value would pass the middleware and fail inside the endpoint with a 500.
/// </summary>
[Category(Categories.Unit)]
public sealed class TenantValuesTests
{
    private static readonly string[] Values =
    [
        "acme", "ACME", " acme ", "", " ", "\t\n", "a\0b", "\0", "a" + (char)0xD800, (char)0xDC00 + "a", "a" + (char)0xD83D + (char)0xDE00,
        "o'brien", "x;drop table orders", "é", new string('a', 8), new string('a', 9), "\u00a0", "\u2003",
    ];

    [Test]
    public void Middleware_and_data_source_agree_on_every_value()
    {
        // Nothing listens on port 1: Open refuses a bad value before any I/O, and fails to connect with a good one.
        using var tenants = TenantDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1", o => o.MaxTenantLength = 8);
        foreach (var value in Values)
        {
            var middlewareRefuses = TenantValues.Problem(value, 8) is not null;
            var dataSourceRefuses = Refuses(tenants, value);
            middlewareRefuses.ShouldBe(dataSourceRefuses, $"value {string.Join(" ", value.Select(c => ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)))}");
        }
    }

    [TestCase("acme.example.com", "acme")]
    [TestCase("ACME.Example.COM", "acme")]
    [TestCase("acme.example.com.", "acme")]
    [TestCase("example.com", null)]
    [TestCase(".example.com", null)]
    [TestCase("a.b.example.com", null)]
    [TestCase("acmeexample.com", null)]
    [TestCase("acme.example.org", null)]
    [TestCase("", null)]
    public void Host_strategy_takes_exactly_one_label_under_the_domain(string host, string? tenant)
    {
        new HostStrategy(".Example.com.").Label(host).ShouldBe(tenant);
    }

    private static bool Refuses(TenantDataSource tenants, string value)
    {
        try
        {
            tenants.Open(value).Dispose();
            return false;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (Npgsql.NpgsqlException)
        {
            return false;
        }
    }
}
