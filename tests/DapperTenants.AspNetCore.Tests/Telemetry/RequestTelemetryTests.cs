using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DapperTenants.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DapperTenants.AspNetCore.Tests.Telemetry;

/// <summary>
/// What a tracing or metrics backend sees of requests through the real pipeline: a lease span per request, nested in
/// the request's span, with Npgsql's spans nested in it; and one open counted per request.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public sealed class RequestTelemetryTests
{
    private ShopDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await ShopDatabase.CreateAsync("aspnet_telemetry");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    [Test]
    public async Task Lease_span_carries_the_tenant_and_nests_between_the_request_and_npgsql()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "DapperTenants" or "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = await StartAsync(includeTenant: false);

        (await app.GetAsync("/tenants", ("X-Tenant", "globex"))).EnsureSuccessStatusCode();

        var lease = stopped.Single(a => a.Source.Name == "DapperTenants");
        lease.OperationName.ShouldBe("dapper_tenants.lease");
        lease.GetTagItem("tenant.id").ShouldBe("globex");
        lease.GetTagItem("dapper_tenants.catalog.read").ShouldBe(true);
        lease.Status.ShouldBe(ActivityStatusCode.Ok);
        var request = stopped.Single(a => a.Source.Name == "Microsoft.AspNetCore");
        lease.ParentSpanId.ShouldBe(request.SpanId);
        lease.TraceId.ShouldBe(request.TraceId);
        // The first open reads the catalog: Npgsql's span for that query is a child of the lease.
        stopped.Where(a => a.Source.Name == "Npgsql").ShouldContain(a => a.ParentSpanId == lease.SpanId);
    }

    [Test]
    public async Task Failed_lease_span_records_the_error()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "DapperTenants",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var tenants = TenantDataSource.Create(_database.AdminConnectionString);

        await Should.ThrowAsync<UnsafeRoleException>(() => tenants.OpenAsync("acme").AsTask());

        var lease = stopped.Single();
        lease.Status.ShouldBe(ActivityStatusCode.Error);
        lease.GetTagItem("error.type").ShouldBe(typeof(UnsafeRoleException).FullName);
        lease.Events.ShouldContain(e => e.Name == "exception");
    }

    [Test]
    public async Task Every_request_counts_one_open_without_the_tenant_as_a_dimension()
    {
        var opens = await CountOpensAsync(includeTenant: false, requests: ["acme", "globex", "acme"]);
        opens.Sum(o => o.Value).ShouldBe(3);
        opens.ShouldAllBe(o => o.Tenant == null);
    }

    [Test]
    public async Task Tenant_becomes_a_metric_dimension_only_when_opted_in()
    {
        var opens = await CountOpensAsync(includeTenant: true, requests: ["acme", "globex", "acme"]);
        opens.Where(o => o.Tenant == "acme").Sum(o => o.Value).ShouldBe(2);
        opens.Where(o => o.Tenant == "globex").Sum(o => o.Value).ShouldBe(1);
    }

    private async Task<List<(long Value, string? Tenant)>> CountOpensAsync(bool includeTenant, string[] requests)
    {
        await using var app = await StartAsync(includeTenant);
        var opens = new List<(long Value, string? Tenant)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "DapperTenants" && instrument.Name == "dapper_tenants.connection.opens")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? tenant = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "tenant.id")
                {
                    tenant = (string?)tag.Value;
                }
            }

            lock (opens)
            {
                opens.Add((value, tenant));
            }
        });
        meters.Start();
        foreach (var tenant in requests)
        {
            (await app.GetAsync("/tenants", ("X-Tenant", tenant))).EnsureSuccessStatusCode();
        }

        lock (opens)
        {
            return [.. opens];
        }
    }

    private Task<TestApp> StartAsync(bool includeTenant) => TestApp.StartAsync(
        b => b.Services.AddDapperTenants(_database.AppConnectionString, o => o.IncludeTenantInMetrics = includeTenant).FromHeader("X-Tenant"),
        a =>
        {
            a.UseDapperTenants();
            a.MapGet("/tenants", TenantEndpoints.Report);
        });
}
