using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Audit;

[Category(Categories.Unit)]
public class TenantAuditOptionsTests
{
    [Test]
    public void The_catalog_reads_may_take_5_minutes_by_default_not_the_data_sources_30_seconds()
    {
        new TenantAuditOptions().CommandTimeout.ShouldBe(TimeSpan.FromMinutes(5));
        TenantAuditOptions.DefaultCommandTimeout.ShouldBe(TimeSpan.FromMinutes(5));
    }

    [Test]
    public void A_negative_command_timeout_is_refused_with_the_reason()
    {
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");
        var ex = Should.Throw<ArgumentException>(() => new TenantAudit(dataSource, new TenantAuditOptions { CommandTimeout = TimeSpan.FromSeconds(-1) }));
        ex.Message.ShouldStartWith($"TenantAuditOptions.CommandTimeout must be zero (no limit) or positive, and at most {int.MaxValue} seconds; it is -00:00:01.");
        ex.ParamName.ShouldBe("options");
    }

    [TestCase(0)]
    [TestCase(1)]
    public void Zero_and_positive_command_timeouts_and_null_are_accepted(int seconds)
    {
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");
        Should.NotThrow(() => new TenantAudit(dataSource, new TenantAuditOptions { CommandTimeout = TimeSpan.FromSeconds(seconds) }));
        Should.NotThrow(() => new TenantAudit(dataSource, new TenantAuditOptions { CommandTimeout = null }));
    }
}
