using System.Diagnostics;
using System.Diagnostics.Metrics;
using DapperTenants.Telemetry;
using DapperTenants.Tests.Support;
using Microsoft.Extensions.Logging;

namespace DapperTenants.Tests.Telemetry;

/// <summary>
/// The telemetry entry points the command path and the guard call (context statements, refusals, cache, analysis
/// time), called directly and observed as a metrics or tracing backend would.
/// </summary>
[Category(Categories.Unit)]
[NonParallelizable]
public sealed class TelemetryHooksTests
{
    [Test]
    public void Context_statements_are_counted_without_the_tenant_unless_opted_in()
    {
        using var plain = TenantDataSource.Create("Host=127.0.0.1;Port=1");
        using var tagged = TenantDataSource.Create("Host=127.0.0.1;Port=1", o => o.IncludeTenantInMetrics = true);
        using var recorder = new Recorder(DapperTenantsTelemetry.ContextStatementsName);

        DapperTenantsTelemetry.ContextStatementSent(plain, "acme");
        DapperTenantsTelemetry.ContextStatementSent(tagged, "globex");
        DapperTenantsTelemetry.ContextStatementSent(tagged, "globex");

        recorder.Measurements.ShouldBe([(1.0, null), (1.0, "globex"), (1.0, "globex")]);
    }

    [Test]
    public void Guard_refusal_is_counted_by_kind_added_to_the_current_span_and_logged_without_values()
    {
        var logs = new CapturingLoggerFactory();
        using var tenants = TenantDataSource.Create("Host=127.0.0.1;Port=1", o => o.LoggerFactory = logs);
        using var recorder = new Recorder(DapperTenantsTelemetry.GuardRefusalsName, DapperTenantsTelemetry.GuardKindTag);
        using var source = new ActivitySource("DapperTenants.Tests.Outer");
        using var listener = Listen("DapperTenants.Tests.Outer");

        using (var outer = source.StartActivity("request"))
        {
            DapperTenantsTelemetry.GuardRefused(tenants, "wrong_tenant_insert", "acme", "public.orders");
            outer!.Events.Single().Name.ShouldBe(DapperTenantsTelemetry.GuardRefusalEventName);
            outer.Events.Single().Tags.ShouldContain(new KeyValuePair<string, object?>(DapperTenantsTelemetry.GuardKindTag, "wrong_tenant_insert"));
        }

        recorder.Measurements.ShouldBe([(1.0, "wrong_tenant_insert")]);
        var log = logs.Events.Single();
        log.Category.ShouldBe("DapperTenants.Guard");
        log.Level.ShouldBe(LogLevel.Warning);
        log.Id.Id.ShouldBe(1001);
        log.Id.Name.ShouldBe("GuardRefused");
        log.Message.ShouldBe("The guard refused a statement before sending it (wrong_tenant_insert) on table public.orders for tenant acme.");
        log.State.Select(p => p.Key).ShouldBe(["Kind", "Table", "Tenant", "{OriginalFormat}"], ignoreOrder: true);
    }

    [Test]
    public void Guard_cache_hits_and_misses_are_counted_apart()
    {
        using var hits = new Recorder(DapperTenantsTelemetry.GuardCacheHitsName);
        using var misses = new Recorder(DapperTenantsTelemetry.GuardCacheMissesName);

        DapperTenantsTelemetry.GuardCacheMiss();
        DapperTenantsTelemetry.GuardCacheHit();
        DapperTenantsTelemetry.GuardCacheHit();

        hits.Measurements.Count.ShouldBe(2);
        misses.Measurements.Count.ShouldBe(1);
    }

    [Test]
    public void Analysis_time_is_recorded_in_seconds()
    {
        using var recorder = new Recorder(DapperTenantsTelemetry.AnalysisDurationName);
        DapperTenantsTelemetry.AnalysisTime(TimeSpan.FromMilliseconds(2.5));
        recorder.Measurements.ShouldBe([(0.0025, null)]);
    }

    [Test]
    public void Instruments_are_published_on_the_meter_named_DapperTenants()
    {
        var names = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "DapperTenants")
                {
                    names.Add(instrument.Name + " " + instrument.Unit);
                }
            },
        };
        listener.Start();
        names.ShouldBe(
        [
            "dapper_tenants.connection.opens {open}",
            "dapper_tenants.context.statements {statement}",
            "dapper_tenants.guard.refusals {refusal}",
            "dapper_tenants.guard.cache.hits {lookup}",
            "dapper_tenants.guard.cache.misses {lookup}",
            "dapper_tenants.guard.analysis.duration s",
        ], ignoreOrder: true);
        DapperTenantsTelemetry.Source.Name.ShouldBe("DapperTenants");
    }

    private static ActivityListener Listen(string name)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    /// <summary>Records the measurements of one instrument, with the value of one tag (the tenant unless told otherwise).</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();

        public Recorder(string instrumentName, string tag = DapperTenantsTelemetry.TenantTag)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == DapperTenantsTelemetry.Name && instrument.Name == instrumentName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Add(value, tags, tag));
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Add(value, tags, tag));
            _listener.Start();
        }

        public List<(double Value, string? Tag)> Measurements { get; } = [];

        public void Dispose() => _listener.Dispose();

        private void Add(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, string tag)
        {
            string? found = null;
            foreach (var pair in tags)
            {
                if (pair.Key == tag)
                {
                    found = (string?)pair.Value;
                }
            }

            lock (Measurements)
            {
                Measurements.Add((value, found));
            }
        }
    }
}
