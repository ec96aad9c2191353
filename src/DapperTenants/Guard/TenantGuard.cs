using System.Collections.Concurrent;
using System.Data;
using DapperTenants.Catalog;
using Npgsql;

namespace DapperTenants.Guard;

/// <summary>
/// Checks each command of a tenant connection before it is sent: a write of another tenant's value into a protected
/// table, or a statement that tampers with the tenant context, throws <see cref="TenantGuardException"/>.
/// </summary>
/// <remarks>
/// The analysis of a SQL text is cached (a bounded number of texts, per catalog), so a repeated command costs a
/// dictionary lookup plus its parameter checks, without allocating. Anything the guard cannot analyze passes: the
/// database's policies decide. The guard never throws anything but <see cref="TenantGuardException"/>; should it
/// fail internally, the command passes.
/// </remarks>
internal sealed class TenantGuard
{
    /// <summary>How many SQL texts a guard remembers before it starts over.</summary>
    internal const int MaxCachedTexts = 2048;

    /// <summary>Longer texts (large generated batches) are analyzed each time rather than kept.</summary>
    internal const int MaxCachedLength = 16 * 1024;

    private readonly string _setting;
    private readonly bool _enabled;
    private PlanCache? _cache;
    private TextCache? _texts;

    public TenantGuard(TenantOptions options)
        : this(options.SettingName, options.GuardMode == TenantGuardMode.Throw)
    {
    }

    internal TenantGuard(string settingName, bool enabled = true)
    {
        _setting = settingName;
        _enabled = enabled;
    }

    /// <summary>
    /// What the request path needs to know of a command text: its statement count, its transaction effects and (when
    /// the guard is on) its plan. Cached per text and catalog; never throws.
    /// </summary>
    public SqlText Analyze(string commandText, System.Data.CommandType commandType, TenantCatalog catalog)
    {
        if (commandType != CommandType.Text)
        {
            return SqlText.Procedure;
        }

        var cache = Volatile.Read(ref _texts);
        if (cache is null || !ReferenceEquals(cache.Catalog, catalog))
        {
            cache = new TextCache(catalog);
            Volatile.Write(ref _texts, cache);
        }

        if (cache.Texts.TryGetValue(commandText, out var known))
        {
            return known;
        }

        var text = Build(commandText, catalog);
        if (commandText.Length <= MaxCachedLength)
        {
            cache.Add(commandText, text);
        }

        return text;
    }

    private SqlText Build(string commandText, TenantCatalog catalog)
    {
        var tokens = SqlLexer.Tokenize(commandText);
        var shape = SqlTextShape.Of(tokens);
        var plan = GuardPlan.Pass;
        if (_enabled && shape.StatementCount > 0)
        {
            try
            {
                plan = GuardAnalyzer.Analyze(tokens, catalog, _setting);
            }
#pragma warning disable CA1031 // An internal failure must not break the command: the database's policies still decide.
            catch (Exception)
            {
                plan = GuardPlan.Pass;
            }
#pragma warning restore CA1031
        }

        return new SqlText(shape, plan);
    }

    /// <summary>Throws <see cref="TenantGuardException"/> when the command writes another tenant's value or tampers with the context.</summary>
    public void Check(string commandText, CommandType commandType, NpgsqlParameterCollection parameters, string tenant, TenantCatalog catalog)
    {
        // A stored procedure call names a procedure, whose body the guard cannot see.
        if (commandType != CommandType.Text || string.IsNullOrEmpty(commandText))
        {
            return;
        }

        GuardPlan plan;
        try
        {
            plan = GetPlan(commandText, catalog);
            if (plan.Checks.Count == 0)
            {
                return;
            }
        }
#pragma warning disable CA1031 // An internal failure must not break the command: the database's policies still decide.
        catch (Exception)
        {
            return;
        }

        try
        {
            plan.Evaluate(parameters, tenant);
        }
        catch (TenantGuardException)
        {
            throw;
        }
        catch (Exception)
        {
            // Same as above: a failing check passes the command on to the database.
        }
#pragma warning restore CA1031
    }

    /// <summary>The plan for a SQL text, from the cache when this catalog has seen it before.</summary>
    internal GuardPlan GetPlan(string sql, TenantCatalog catalog)
    {
        var cache = Volatile.Read(ref _cache);
        if (cache is null || !ReferenceEquals(cache.Catalog, catalog))
        {
            // The catalog was refreshed: plans name its tables, so start over.
            cache = new PlanCache(catalog);
            Volatile.Write(ref _cache, cache);
        }

        if (cache.Plans.TryGetValue(sql, out var plan))
        {
            return plan;
        }

        plan = GuardAnalyzer.Analyze(sql, catalog, _setting);
        if (sql.Length <= MaxCachedLength)
        {
            cache.Add(sql, plan);
        }

        return plan;
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
            if (Interlocked.Increment(ref _count) > MaxCachedTexts)
            {
                Texts.Clear();
                Interlocked.Exchange(ref _count, 0);
            }

            Texts.TryAdd(sql, text);
        }
    }

    private sealed class PlanCache
    {
        private int _count;

        public PlanCache(TenantCatalog catalog)
        {
            Catalog = catalog;
        }

        public TenantCatalog Catalog { get; }

        public ConcurrentDictionary<string, GuardPlan> Plans { get; } = new();

        public void Add(string sql, GuardPlan plan)
        {
            // Clearing everything is crude but bounded and cheap; applications repeat a small set of texts.
            if (Interlocked.Increment(ref _count) > MaxCachedTexts)
            {
                Plans.Clear();
                Interlocked.Exchange(ref _count, 0);
            }

            Plans.TryAdd(sql, plan);
        }
    }
}
