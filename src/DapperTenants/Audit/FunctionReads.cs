using DapperTenants.Catalog;
using DapperTenants.Guard;

namespace DapperTenants.Audit;

/// <summary>
/// Which tenant tables a function reads, following the functions it calls (a SECURITY INVOKER function called from a
/// SECURITY DEFINER one runs with the definer's owner's rights too). A SQL-standard body (<c>BEGIN ATOMIC</c>) is read
/// from its parsed tree; a SQL or PL/pgSQL body from its text, where any mention of a table's name counts as a read
/// (a column or a variable of that name too: the audit errs towards a finding). A body it cannot read — another
/// language, dynamic SQL (<c>EXECUTE</c>), a built-in that runs SQL given as text — is <see cref="Reads.Opaque"/>.
/// </summary>
internal sealed class FunctionReads
{
    private readonly Dictionary<uint, AuditCatalog.Function> _byOid;
    private readonly ILookup<string, AuditCatalog.Function> _byName;
    private readonly ILookup<string, ProtectedTable> _tablesByName;
    private readonly HashSet<uint> _rls;
    private readonly Dictionary<uint, Reads> _done = [];
    private readonly HashSet<uint> _inProgress = [];
    private int _cycles;

    public FunctionReads(IReadOnlyList<AuditCatalog.Function> functions, CatalogTables tables)
    {
        _byOid = functions.ToDictionary(f => f.Oid);
        _byName = functions.ToLookup(f => f.Name, StringComparer.Ordinal);
        _tablesByName = tables.Tables.Where(t => t.RowSecurity).ToLookup(t => t.Table, StringComparer.Ordinal);
        _rls = [.. tables.Tables.Where(t => t.RowSecurity).Select(t => t.Oid)];
    }

    /// <summary>What a function reads: tenant tables by OID, or why the audit cannot tell (<see langword="null"/> when it can).</summary>
    /// <param name="Tables">The tenant tables with Row-Level Security it reads, itself or through the functions it calls.</param>
    /// <param name="Opaque">Why its reads cannot be known, or <see langword="null"/>.</param>
    internal sealed record Reads(IReadOnlySet<uint> Tables, string? Opaque);

    /// <summary>The reads of <paramref name="function"/> and of every function it calls.</summary>
    public Reads Of(AuditCatalog.Function function)
    {
        if (_done.TryGetValue(function.Oid, out var known))
        {
            return known;
        }

        if (!_inProgress.Add(function.Oid))
        {
            // A recursive call: its reads are being collected further up. What is computed until then misses them, so
            // it is not remembered (the root of the cycle is, once complete).
            _cycles++;
            return new Reads(new HashSet<uint>(), null);
        }

        var cyclesBefore = _cycles;
        var (tables, callees, opaque) = Own(function);
        foreach (var callee in callees)
        {
            if (opaque is not null)
            {
                break;
            }

            var called = Of(callee);
            tables.UnionWith(called.Tables);
            opaque = called.Opaque is null ? null : $"it calls {callee.Signature}, and {called.Opaque}";
        }

        _inProgress.Remove(function.Oid);
        var reads = new Reads(tables, opaque);
        if (_cycles == cyclesBefore || _inProgress.Count == 0)
        {
            _done[function.Oid] = reads;
        }

        return reads;
    }

    private (HashSet<uint> Tables, List<AuditCatalog.Function> Callees, string? Opaque) Own(AuditCatalog.Function function)
    {
        var tables = new HashSet<uint>();
        var callees = new List<AuditCatalog.Function>();
        if (function.IsAtomic)
        {
            tables.UnionWith(function.AtomicReads.Where(_rls.Contains));
            callees.AddRange(function.AtomicCalls.Where(oid => oid != function.Oid).Select(_byOid.GetValueOrDefault).OfType<AuditCatalog.Function>());
            return (tables, callees, null);
        }

        if (function.Language is not ("sql" or "plpgsql"))
        {
            return (tables, callees, $"it is written in {function.Language}, which the audit cannot read");
        }

        var tokens = SqlLexer.Tokenize(function.Body);
        for (var k = 0; k < tokens.Count; k++)
        {
            if (!tokens.IsName(k) || tokens.Is(k - 1, SqlTokenKind.Dot))
            {
                continue;
            }

            if (function.Language == "plpgsql" && tokens.IsKeyword(k, "execute"))
            {
                return (tables, callees, "it runs dynamic SQL (EXECUTE), which the audit cannot follow");
            }

            string? qualifier = null;
            var name = tokens.Name(k)!;
            var last = k;
            if (tokens.Is(k + 1, SqlTokenKind.Dot) && tokens.IsName(k + 2))
            {
                (qualifier, name, last) = (name, tokens.Name(k + 2)!, k + 2);
            }

            if (tokens.Is(last + 1, SqlTokenKind.OpenParen))
            {
                if ((qualifier is null or "pg_catalog") && SqlExecutingBuiltIns.Names.Contains(name))
                {
                    return (tables, callees, $"it calls {name}(), which runs SQL given as text");
                }

                callees.AddRange(_byName[name].Where(f => f.Oid != function.Oid && (qualifier is null || f.Schema == qualifier)));
            }

            tables.UnionWith(_tablesByName[name].Where(t => qualifier is null || t.Schema == qualifier).Select(t => t.Oid));
        }

        return (tables, callees, null);
    }
}
