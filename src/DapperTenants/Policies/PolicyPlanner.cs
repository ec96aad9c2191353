using DapperTenants.Catalog;
using static DapperTenants.Policies.Identifiers;

namespace DapperTenants.Policies;

/// <summary>Compares the model with the catalog and decides the steps, errors and warnings. No I/O.</summary>
internal sealed class PolicyPlanner
{
    private readonly IReadOnlyList<TableModel> _models;
    private readonly PolicyCatalog _catalog;
    private readonly string _settingName;
    private readonly IReadOnlyList<string> _roles;
    private readonly IReadOnlyDictionary<ExpressionKey, RenderedExpressions> _rendered;
    private readonly bool _signed;
    private readonly List<PolicyStep> _steps = [];
    private readonly List<string> _warnings = [];
    private readonly List<string> _errors = [];
    private readonly List<ExpressionKey> _unconfirmed = [];
    private readonly HashSet<(string Schema, string Role)> _schemaGrants = [];

    private PolicyPlanner(
        IReadOnlyList<TableModel> models, PolicyCatalog catalog, string settingName, IReadOnlyList<string> roles,
        IReadOnlyDictionary<ExpressionKey, RenderedExpressions> rendered, bool signed)
    {
        _signed = signed;
        _models = models;
        _catalog = catalog;
        _settingName = settingName;
        _roles = roles;
        _rendered = rendered;
    }

    /// <summary>Plans; <see cref="Result.Unconfirmed"/> lists the expressions to render before the plan can be trusted.</summary>
    /// <remarks>
    /// <c>rendered</c> holds the server's printed forms of the model's expressions, for the keys a first pass left
    /// unconfirmed. <c>signed</c>: the policies and defaults read the tenant from the signed context's verifier.
    /// </remarks>
    public static Result Plan(
        IReadOnlyList<TableModel> models, PolicyCatalog catalog, string settingName, IReadOnlyList<string> roles,
        IReadOnlyDictionary<ExpressionKey, RenderedExpressions> rendered, bool signed = false)
    {
        var planner = new PolicyPlanner(models, catalog, settingName, roles, rendered, signed);
        planner.Run();
        return new Result(new PolicyPlan(planner._steps, planner._warnings, planner._errors), planner._unconfirmed);
    }

    private void Run()
    {
        foreach (var role in _catalog.MissingRoles)
        {
            _errors.Add($"Role {Quote(role)} given to GrantTo does not exist. Create it first, or fix the name.");
        }

        for (var i = 0; i < _models.Count; i++)
        {
            PlanTable(_models[i], _catalog.Requests[i]);
        }

        var requested = new HashSet<uint>();
        foreach (var oid in _catalog.Requests.Select(r => r.Oid).OfType<uint>())
        {
            requested.Add(oid);
            if (_catalog.Tables.Find(oid) is { } table)
            {
                requested.UnionWith(_catalog.Tables.WithPartitions(table).Select(t => t.Oid));
            }
        }

        foreach (var table in _catalog.Tables.Tables.Where(t => !requested.Contains(t.Oid)))
        {
            foreach (var policy in table.Policies.Where(p => IsOurs(p.Name)))
            {
                var name = Qualify(table.Schema, table.Table);
                _warnings.Add($"{name} has the policy {Quote(policy.Name)}, but no [Rls] type maps the table any more; the installer leaves it in place. "
                    + $"If the table is no longer tenant-owned, drop it: DROP POLICY {Quote(policy.Name)} ON {name};");
            }
        }
    }

    /// <summary>Plans one requested table and its partitions.</summary>
    private void PlanTable(TableModel model, PolicyCatalog.RequestedRelation request)
    {
        var name = model.QualifiedName;
        if (request.Oid is not { } oid)
        {
            _errors.Add($"Table {name} ({model.Origin}) does not exist. Create it first (the installer never creates tables), or fix the name in [Rls] or [Table].");
            return;
        }

        if (request.Kind is not ('r' or 'p'))
        {
            _errors.Add($"{name} ({model.Origin}) is {KindName(request.Kind)}, not a table; Row-Level Security applies only to tables. Map the type to a table.");
            return;
        }

        if (_catalog.Tables.Find(oid) is not { } root || root.Column(model.TenantColumn) is not { } tenant)
        {
            _errors.Add($"Table {name} has no column {Quote(model.TenantColumn)} for {model.Origin}. "
                + "Add the column, or name the right one with [Column] or [Rls(TenantColumn)].");
            return;
        }

        if (!model.Type.Accepts(tenant.TypeOid))
        {
            _errors.Add($"Column {Quote(model.TenantColumn)} of {name} is {tenant.Type}, but {model.Origin} is {model.Type.ClrName}, "
                + $"which needs {model.Type.AcceptedColumnTypes}. Change the property type or the column type.");
            return;
        }

        var relations = _catalog.Tables.WithPartitions(root)
            .OrderBy(r => r.Level).ThenBy(r => r.Schema, StringComparer.Ordinal).ThenBy(r => r.Table, StringComparer.Ordinal).ToList();
        var notOwned = relations.Where(r => !r.OwnedByCurrentUser).ToList();
        foreach (var relation in notOwned)
        {
            _errors.Add($"Table {Qualify(relation.Schema, relation.Table)} is owned by {Quote(relation.Owner)}, so the installer's login "
                + $"{Quote(_catalog.CurrentUser)} cannot change it. Connect the installer as {Quote(relation.Owner)} or a member of it.");
        }

        if (notOwned.Count > 0)
        {
            return;
        }

        if (!tenant.LeadsIndex)
        {
            _warnings.Add($"{name}: no index has the tenant column {Quote(model.TenantColumn)} as its leading column, so the policy filters "
                + $"every query without one. Create one, for example CREATE INDEX ON {name} ({Quote(model.TenantColumn)});");
        }

        foreach (var index in root.KeysWithoutTenant)
        {
            _warnings.Add($"{name}: the {(index.IsPrimaryKey ? "primary key" : "unique index")} {index.Name} does not lead on the tenant column "
                + $"{Quote(model.TenantColumn)}. Unique checks ignore Row-Level Security, so an insert that fails tells a tenant that another tenant has "
                + $"that key (an existence oracle), and EXPLAIN's estimates over it leak other tenants' values. Lead it with the tenant column: "
                + $"({Quote(model.TenantColumn)}, …).");
        }

        if (!tenant.NotNull && !model.SharedRows)
        {
            _warnings.Add($"{name}: the tenant column {Quote(model.TenantColumn)} is nullable and SharedRows is off, so a row whose tenant is NULL "
                + "is visible to no tenant. Add NOT NULL to the column, or set [Rls(SharedRows = true)] to share such rows.");
        }

        foreach (var relation in relations)
        {
            PlanRelation(model, relation);
        }

        foreach (var role in _roles.Except(_catalog.MissingRoles))
        {
            PlanGrants(model, root, role);
        }
    }

    private void PlanRelation(TableModel model, ProtectedTable relation)
    {
        var target = Qualify(relation.Schema, relation.Table);
        var tenant = relation.Column(model.TenantColumn)!;
        if (!relation.RowSecurity)
        {
            _steps.Add(new PolicyStep(target, "RLS not enabled", PolicySql.EnableRls(target)));
        }

        if (!relation.ForceRowSecurity)
        {
            _steps.Add(new PolicyStep(target, "RLS not forced", PolicySql.ForceRls(target)));
        }

        var key = new ExpressionKey(model.TenantColumn, tenant.Type, model.Type);
        var column = tenant.Quoted!;
        var create = PolicySql.CreatePolicy(target, model.TenantColumn, _settingName, model.Type, _signed);
        var ours = FindPolicy(relation, PolicySql.PolicyName);
        if (ours is null)
        {
            _steps.Add(new PolicyStep(target, "policy missing", create));
        }
        else if (!ours.Permissive || ours.Command != "*" || !ours.ToPublicOnly)
        {
            _steps.Add(new PolicyStep(target, "policy is not PERMISSIVE FOR ALL TO PUBLIC", Recreate(PolicySql.PolicyName, target, create)));
        }
        else
        {
            var own = PredictedExpressions.Own(column, tenant.TypeOid, _settingName, model.Type, _signed);
            if (!Matches(ours.Using, own, key, r => r.Own) | !Matches(ours.Check, own, key, r => r.Own))
            {
                _steps.Add(new PolicyStep(target, Differs("policy", ours.Using + ours.Check), Recreate(PolicySql.PolicyName, target, create)));
            }
        }

        var shared = FindPolicy(relation, PolicySql.SharedRowsPolicyName);
        var createShared = PolicySql.CreateSharedRowsPolicy(target, model.TenantColumn, _settingName, _signed);
        if (!model.SharedRows)
        {
            if (shared is not null)
            {
                _steps.Add(new PolicyStep(target, "shared-rows policy present but SharedRows is off",
                    PolicySql.DropPolicy(PolicySql.SharedRowsPolicyName, target, ifExists: false)));
            }
        }
        else if (shared is null)
        {
            _steps.Add(new PolicyStep(target, "shared-rows policy missing", createShared));
        }
        else if (!shared.Permissive || shared.Command != "r" || !shared.ToPublicOnly)
        {
            _steps.Add(new PolicyStep(target, "shared-rows policy is not PERMISSIVE FOR SELECT TO PUBLIC", Recreate(PolicySql.SharedRowsPolicyName, target, createShared)));
        }
        else if (shared.Check is not null || !Matches(shared.Using, PredictedExpressions.SharedRows(column, _settingName, _signed), key, r => r.Shared))
        {
            _steps.Add(new PolicyStep(target, Differs("shared-rows policy", shared.Using), Recreate(PolicySql.SharedRowsPolicyName, target, createShared)));
        }

        var setDefault = PolicySql.SetDefault(target, model.TenantColumn, _settingName, model.Type, only: true, _signed);
        if (tenant.Default is null)
        {
            _steps.Add(new PolicyStep(target, "default missing", setDefault));
        }
        else if (!Matches(tenant.Default, PredictedExpressions.Default(_settingName, model.Type, _signed), key, r => r.Default))
        {
            _steps.Add(new PolicyStep(target, Differs("default", tenant.Default), setDefault));
        }

        foreach (var other in relation.Policies.Where(p => p.Permissive && !IsOurs(p.Name)))
        {
            _warnings.Add($"{target}: the permissive policy {Quote(other.Name)} is OR-ed with {Quote(PolicySql.PolicyName)}, so it widens what "
                + "tenants can read or write. Drop it, or recreate it AS RESTRICTIVE.");
        }
    }

    private void PlanGrants(TableModel model, ProtectedTable root, string role)
    {
        var schema = _catalog.SchemaGrants.FirstOrDefault(s => s.Schema == model.Schema && s.Role == role);
        if (schema is { Usage: false } && _schemaGrants.Add((model.Schema, role)))
        {
            _steps.Add(new PolicyStep(Quote(model.Schema), $"role {Quote(role)} lacks USAGE on the schema", PolicySql.GrantSchema(model.Schema, role)));
        }

        var name = model.QualifiedName;
        if (_catalog.TableGrants.FirstOrDefault(g => g.RelationOid == root.Oid && g.Role == role) is { } grant)
        {
            string[] missing = [.. new[] { ("SELECT", grant.Select), ("INSERT", grant.Insert), ("UPDATE", grant.Update), ("DELETE", grant.Delete) }
                .Where(p => !p.Item2).Select(p => p.Item1)];
            if (missing.Length > 0)
            {
                _steps.Add(new PolicyStep(name, $"role {Quote(role)} lacks {string.Join(", ", missing)} on the table", PolicySql.GrantTable(name, role)));
            }

            if (grant.Truncate)
            {
                _warnings.Add($"{name}: role {Quote(role)} has TRUNCATE, which ignores Row-Level Security and empties every tenant's rows. "
                    + $"REVOKE TRUNCATE ON {name} FROM {Quote(role)};");
            }

            if (grant.References)
            {
                _warnings.Add($"{name}: role {Quote(role)} has REFERENCES; foreign keys ignore Row-Level Security and reveal other tenants' keys. "
                    + $"REVOKE REFERENCES ON {name} FROM {Quote(role)};");
            }
        }

        foreach (var sequence in _catalog.SequenceGrants.Where(s => s.TableOid == root.Oid && s.Role == role && !(s.Usage && s.Select)))
        {
            var sequenceName = Qualify(sequence.Schema, sequence.Name);
            _steps.Add(new PolicyStep(sequenceName, $"role {Quote(role)} lacks USAGE, SELECT on the sequence", PolicySql.GrantSequence(sequenceName, role)));
        }
    }

    /// <summary>
    /// Whether a stored expression is the model's: equal to the prediction, else equal to the server's own rendering.
    /// Without a rendering the answer is provisional and the key is queued for one.
    /// </summary>
    private bool Matches(string? actual, string predicted, ExpressionKey key, Func<RenderedExpressions, string> pick)
    {
        if (actual is null)
        {
            return false;
        }

        if (actual == predicted)
        {
            return true;
        }

        if (_rendered.TryGetValue(key, out var rendered))
        {
            return actual == pick(rendered);
        }

        if (!_unconfirmed.Contains(key))
        {
            _unconfirmed.Add(key);
        }

        return false;
    }

    /// <summary>Why an expression differs: a switch between the raw setting and the signed context, said as such, else drift.</summary>
    private string Differs(string what, string? stored)
    {
        var readsVerifier = stored is not null && stored.Contains(SignedContextNames.Verifier + "(", StringComparison.Ordinal);
        var readsSetting = stored is not null && stored.Contains("current_setting(", StringComparison.Ordinal);
        return (_signed, readsVerifier, readsSetting) switch
        {
            (true, false, true) => $"{what} reads the raw setting; the model reads the signed context",
            (false, true, false) => $"{what} reads the signed context; the model reads the raw setting",
            _ => what == "default" ? "default differs from the model" : $"{what} expression differs from the model",
        };
    }

    private static TablePolicy? FindPolicy(ProtectedTable relation, string name) => relation.Policies.FirstOrDefault(p => p.Name == name);

    private static bool IsOurs(string policyName) => policyName is PolicySql.PolicyName or PolicySql.SharedRowsPolicyName
        or Catalog.SupportNames.Policy or Catalog.SupportNames.ScopePolicy or Catalog.SupportNames.DeletePolicy;

    private static string[] Recreate(string policyName, string target, string create) =>
        [PolicySql.DropPolicy(policyName, target, ifExists: false), create];

    private static string KindName(char kind) => kind switch
    {
        'v' => "a view",
        'm' => "a materialized view",
        'f' => "a foreign table",
        'S' => "a sequence",
        'i' or 'I' => "an index",
        'c' => "a composite type",
        _ => "not a table",
    };

    /// <summary>A plan, and the expressions it could not confirm without asking the server.</summary>
    /// <param name="Plan">The plan; provisional while <paramref name="Unconfirmed"/> is not empty.</param>
    /// <param name="Unconfirmed">Keys to render with <see cref="ExpressionRenderer"/> before planning again.</param>
    internal sealed record Result(PolicyPlan Plan, IReadOnlyList<ExpressionKey> Unconfirmed);
}
