using System.Collections.Concurrent;
using System.Data;
using DapperTenants.Catalog;
using Npgsql;

namespace DapperTenants.Guard;

/// <summary>
/// What a data source knows of each command text before it is sent (<see cref="Analyze"/>): its statement count, its
/// transaction effects and the guard's plan, whose <see cref="GuardPlan.Evaluate"/> throws
/// <see cref="TenantGuardException"/> for a write of another tenant's value into a protected table, a statement that
/// tampers with the tenant context or runs SQL the guard cannot see, or session state that would outlive the lease.
/// </summary>
/// <remarks>
/// The analysis of a SQL text is cached (a bounded number of texts, per catalog), so a repeated command costs a
/// dictionary lookup plus its plan's checks, without allocating. In production the guard never throws anything but
/// <see cref="TenantGuardException"/>: should it fail internally, the command goes to the database, whose policies still
/// decide. Tests build it with <c>surfaceFailures</c> so that "analyzed and allowed" is never "the analyzer crashed".
/// </remarks>
internal sealed class TenantGuard
{
    /// <summary>How many SQL texts a guard remembers before it starts over.</summary>
    internal const int MaxCachedTexts = 2048;

    /// <summary>Longer texts (large generated batches) are analyzed each time rather than kept.</summary>
    internal const int MaxCachedLength = 16 * 1024;

    private readonly GuardOptions _options;
    private readonly bool _enabled;
    private readonly bool _surfaceFailures;
    private TextCache? _texts;

    public TenantGuard(TenantOptions options)
        : this(GuardOptions.From(options), options.GuardMode == TenantGuardMode.Throw)
    {
    }

    /// <param name="options">What the analysis protects and lets through.</param>
    /// <param name="enabled">Whether plans are made (<see cref="TenantGuardMode.Throw"/>); when not, texts are only counted.</param>
    /// <param name="surfaceFailures">Whether internal failures throw (tests) instead of letting the command through (production).</param>
    internal TenantGuard(GuardOptions options, bool enabled = true, bool surfaceFailures = false)
    {
        _options = options;
        _enabled = enabled;
        _surfaceFailures = surfaceFailures;
    }

    /// <summary>
    /// What the request path needs to know of a command text: its statement count, its transaction effects and (when
    /// the guard is on) its plan. Cached per text and catalog; never throws (unless built to surface failures).
    /// </summary>
    public SqlText Analyze(string commandText, CommandType commandType, TenantCatalog catalog)
    {
        // A stored procedure call names a procedure, whose body the guard cannot see.
        if (commandType != CommandType.Text)
        {
            return SqlText.Procedure;
        }

        var cache = Volatile.Read(ref _texts);
        if (cache is null || !ReferenceEquals(cache.Catalog, catalog))
        {
            // The catalog was refreshed: plans name its tables, so start over.
            cache = new TextCache(catalog);
            Volatile.Write(ref _texts, cache);
        }

        if (cache.Texts.TryGetValue(commandText, out var known))
        {
            Telemetry.DapperTenantsTelemetry.GuardCacheHit();
            return known;
        }

        Telemetry.DapperTenantsTelemetry.GuardCacheMiss();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var text = Build(commandText, catalog);
        Telemetry.DapperTenantsTelemetry.AnalysisTime(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        if (commandText.Length <= MaxCachedLength)
        {
            cache.Add(commandText, text);
        }

        return text;
    }

    /// <summary>
    /// The old command path's check (analysis and evaluation in one call, the session assumed to be reset at close).
    /// Kept until that path is replaced by one that calls <see cref="Analyze"/> and <see cref="GuardPlan.Evaluate"/>.
    /// </summary>
    public void Check(string commandText, CommandType commandType, NpgsqlParameterCollection parameters, string tenant, TenantCatalog catalog)
    {
        if (!string.IsNullOrEmpty(commandText))
        {
            Analyze(commandText, commandType, catalog).Plan.Evaluate(parameters, new GuardContext(tenant, SessionOutlivesLease: false));
        }
    }

    /// <summary>The analysis of a text, never cached (the benchmark of worst cases measures it).</summary>
    internal SqlText Build(string commandText, TenantCatalog catalog)
    {
        try
        {
            var tokens = SqlLexer.Tokenize(commandText);
            var shape = SqlTextShape.Of(tokens);
            var plan = _enabled && shape.StatementCount > 0 ? GuardAnalyzer.Analyze(tokens, catalog, _options, _surfaceFailures) : GuardPlan.Pass;
            return new SqlText(shape, plan);
        }
#pragma warning disable CA1031 // An internal failure must not break the command: the database's policies still decide.
        catch (Exception) when (!_surfaceFailures)
        {
            // Assume the worst of the text's shape: several statements, and one that changes the transaction.
            return SqlText.Unknown;
        }
#pragma warning restore CA1031
    }

    private sealed class TextCache
    {
        private int _count;

        public TextCache(TenantCatalog catalog)
        {
            Catalog = catalog;
        }

        public TenantCatalog Catalog { get; }

        public ConcurrentDictionary<string, SqlText> Texts { get; } = new(StringComparer.Ordinal);

        public void Add(string sql, SqlText text)
        {
            // Clearing everything is crude but bounded and cheap; applications repeat a small set of texts.
            if (Interlocked.Increment(ref _count) > MaxCachedTexts)
            {
                Texts.Clear();
                Interlocked.Exchange(ref _count, 0);
            }

            Texts.TryAdd(sql, text);
        }
    }
}
