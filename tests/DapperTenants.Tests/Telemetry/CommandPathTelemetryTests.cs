using System.Diagnostics.Metrics;
using DapperTenants.Telemetry;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Telemetry;

/// <summary>The command path reports what it does: one context statement counted per statement that carries the tenant, refusals by kind.</summary>
[Category(Categories.Database)]
[NonParallelizable]
public sealed class CommandPathTelemetryTests
{
    private OrdersDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await OrdersDatabase.CreateAsync("telemetry");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task A_context_statement_is_counted_for_each_statement_that_carries_the_tenant()
    {
        await using var tenants = _db.CreateTenants(options: o => o.IncludeTenantInMetrics = true);
        using var recorder = new TaggedCounter(DapperTenantsTelemetry.ContextStatementsName, DapperTenantsTelemetry.TenantTag);
        await using var acme = await tenants.OpenAsync(OrdersDatabase.Acme);
        for (var i = 0; i < 3; i++)
        {
            await acme.QueryAsync<int>("select id from orders");
        }

        recorder.Count(OrdersDatabase.Acme).ShouldBe(3, "outside a transaction every statement carries the tenant");

        await using (var transaction = await acme.BeginTransactionAsync())
        {
            for (var i = 0; i < 3; i++)
            {
                await acme.QueryAsync<int>("select id from orders", transaction: transaction);
            }

            await transaction.CommitAsync();
        }

        recorder.Count(OrdersDatabase.Acme).ShouldBe(4, "inside a transaction only the first statement carries it");
    }

    [Test]
    public async Task A_guard_refusal_is_counted_by_statement_kind()
    {
        await using var tenants = _db.CreateTenants();
        using var recorder = new TaggedCounter(DapperTenantsTelemetry.GuardRefusalsName, DapperTenantsTelemetry.GuardKindTag);
        await using var acme = await tenants.OpenAsync(OrdersDatabase.Acme);
        await Should.ThrowAsync<TenantGuardException>(() => acme.ExecuteAsync("insert into orders (id, tenant, total) values (9, 'globex', 1)"));
        await Should.ThrowAsync<TenantGuardException>(() => acme.ExecuteAsync("set dapper_tenants.tenant = 'globex'"));
        recorder.Count("insert").ShouldBe(1);
        recorder.Count("set").ShouldBe(1);
    }

    private sealed class TaggedCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<string?> _tags = [];

        public TaggedCounter(string instrumentName, string tag)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == DapperTenantsTelemetry.Name && instrument.Name == instrumentName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                string? found = null;
                foreach (var pair in tags)
                {
                    if (pair.Key == tag)
                    {
                        found = pair.Value as string;
                    }
                }

                lock (_tags)
                {
                    _tags.Add(found);
                }
            });
            _listener.Start();
        }

        public int Count(string tagValue)
        {
            lock (_tags)
            {
                return _tags.Count(t => t == tagValue);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
