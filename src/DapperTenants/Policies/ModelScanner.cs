using System.ComponentModel.DataAnnotations.Schema;
using System.Globalization;
using System.Reflection;

namespace DapperTenants.Policies;

/// <summary>Turns <see cref="RlsAttribute"/> types into one <see cref="TableModel"/> per table, or lists every problem at once.</summary>
internal static class ModelScanner
{
    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(bool)] = "bool", [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(char)] = "char",
        [typeof(decimal)] = "decimal", [typeof(double)] = "double", [typeof(float)] = "float", [typeof(int)] = "int",
        [typeof(uint)] = "uint", [typeof(long)] = "long", [typeof(ulong)] = "ulong", [typeof(short)] = "short",
        [typeof(ushort)] = "ushort", [typeof(object)] = "object", [typeof(string)] = "string",
    };

    /// <exception cref="RlsModelException">One or more types cannot be turned into policies.</exception>
    public static IReadOnlyList<TableModel> Build(IEnumerable<Type> types)
    {
        var problems = new List<string>();
        var models = new List<TableModel>();
        var byTable = new Dictionary<(string Schema, string Table), int>();
        foreach (var type in types)
        {
            var model = Scan(type, problems);
            if (model is null)
            {
                continue;
            }

            if (!byTable.TryGetValue((model.Schema, model.Table), out var index))
            {
                byTable.Add((model.Schema, model.Table), models.Count);
                models.Add(model);
                continue;
            }

            var existing = models[index];
            var conflict = Conflict(existing, model, type);
            if (conflict is null)
            {
                models[index] = existing with { Sources = [.. existing.Sources, .. model.Sources] };
            }
            else
            {
                problems.Add(conflict);
            }
        }

        if (problems.Count > 0)
        {
            var count = problems.Count == 1 ? "1 problem" : problems.Count.ToString(CultureInfo.InvariantCulture) + " problems";
            throw new RlsModelException(
                $"The [Rls] types cannot be turned into Row-Level Security policies ({count}):"
                + string.Concat(problems.Select(p => Environment.NewLine + "- " + p)));
        }

        return models;
    }

    /// <summary>The class name used in messages: namespace and enclosing classes, without generic arity.</summary>
    /// <summary>Every <see cref="RlsAttribute"/> class of <paramref name="assembly"/>, in order of full name (types that fail to load are skipped).</summary>
    public static IEnumerable<Type> RlsTypesOf(Assembly assembly)
    {
        Type?[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            types = ex.Types;
        }

        return types.OfType<Type>()
            .Where(t => t.IsClass && t.GetCustomAttribute<RlsAttribute>(inherit: false) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal);
    }

    public static string ClassName(Type type)
    {
        var name = StripArity(type.Name);
        if (type.DeclaringType is { } outer)
        {
            return ClassName(outer) + "." + name;
        }

        return string.IsNullOrEmpty(type.Namespace) ? name : type.Namespace + "." + name;
    }

    private static TableModel? Scan(Type type, List<string> problems)
    {
        var rls = type.GetCustomAttribute<RlsAttribute>(inherit: false)
            ?? throw new ArgumentException($"{ClassName(type)} has no [Rls] attribute. Tag it with [Rls], or do not register it.", nameof(type));
        var tableAttribute = type.GetCustomAttribute<TableAttribute>(inherit: false);
        var className = ClassName(type);
        var before = problems.Count;

        var table = rls.Table ?? tableAttribute?.Name ?? Identifiers.SnakeCase(StripArity(type.Name));
        var schema = rls.Schema ?? tableAttribute?.Schema ?? "public";
        AddIfBad(problems, table, $"{className}: the table name {Identifiers.Display(table)}");
        AddIfBad(problems, schema, $"{className}: the schema name {Identifiers.Display(schema)}");

        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .DistinctBy(p => p.Name)
            .ToList();
        PropertyInfo? property;
        string column;
        if (rls.TenantColumn is { } named)
        {
            column = named;
            AddIfBad(problems, named, $"{className}: the tenant column {Identifiers.Display(named)} named by [Rls(TenantColumn)]");
            property = properties.Find(p => string.Equals(ColumnName(p), named, StringComparison.Ordinal))
                ?? properties.Find(p => string.Equals(p.Name, named, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                problems.Add($"{className} has no property for the tenant column {Identifiers.Display(named)} named by [Rls(TenantColumn)]: "
                    + "add one whose [Column] name, snake_case name or name is that column.");
                return null;
            }
        }
        else
        {
            var candidates = properties.Where(p => p.Name is "Tenant" or "TenantId").ToList();
            if (candidates.Count == 0)
            {
                problems.Add($"{className} has no tenant property: add a property named Tenant or TenantId, "
                    + "or name the tenant column with [Rls(TenantColumn = \"...\")].");
                return null;
            }

            if (candidates.Count > 1)
            {
                problems.Add($"{className} has both Tenant and TenantId properties: choose the tenant column with [Rls(TenantColumn = \"...\")].");
                return null;
            }

            property = candidates[0];
            column = ColumnName(property);
            AddIfBad(problems, column, $"{className}.{property.Name}: the column name {Identifiers.Display(column)}");
        }

        var sqlType = TenantSqlType.For(property.PropertyType);
        if (sqlType is null)
        {
            problems.Add($"{className}.{property.Name} is {TypeName(property.PropertyType)}; "
                + "a tenant property must be string, Guid, int, long or short (or a nullable one of them).");
        }

        return problems.Count > before || sqlType is null
            ? null
            : new TableModel(schema, table, column, sqlType, rls.SharedRows, [className + "." + property.Name]);
    }

    private static string? Conflict(TableModel first, TableModel second, Type secondType)
    {
        var differences = new List<string>();
        var (a, b) = (first.Sources[0], second.Sources[0]);
        if (!string.Equals(first.TenantColumn, second.TenantColumn, StringComparison.Ordinal))
        {
            differences.Add($"tenant column {Identifiers.Display(first.TenantColumn)} ({a}) vs {Identifiers.Display(second.TenantColumn)} ({b})");
        }

        if (first.Type != second.Type)
        {
            differences.Add($"tenant type {first.Type.ClrName} ({a}) vs {second.Type.ClrName} ({b})");
        }

        if (first.SharedRows != second.SharedRows)
        {
            differences.Add($"SharedRows {(first.SharedRows ? "true" : "false")} ({a}) vs {(second.SharedRows ? "true" : "false")} ({b})");
        }

        if (differences.Count == 0)
        {
            return null;
        }

        var firstClass = a[..a.LastIndexOf('.')];
        return $"{firstClass} and {ClassName(secondType)} both map {first.QualifiedName}, differently: {string.Join("; ", differences)}. "
            + "Map the table with one class, or make the classes agree.";
    }

    private static void AddIfBad(List<string> problems, string name, string what)
    {
        if (Identifiers.Problem(name) is { } problem)
        {
            problems.Add($"{what} {problem}.");
        }
    }

    private static string ColumnName(PropertyInfo property) =>
        property.GetCustomAttribute<ColumnAttribute>()?.Name ?? Identifiers.SnakeCase(property.Name);

    private static string StripArity(string name)
    {
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    private static string TypeName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return TypeName(inner) + "?";
        }

        if (Keywords.TryGetValue(type, out var keyword))
        {
            return keyword;
        }

        if (type.IsArray)
        {
            return TypeName(type.GetElementType()!) + "[]";
        }

        return type.IsGenericType
            ? StripArity(type.Name) + "<" + string.Join(", ", type.GetGenericArguments().Select(TypeName)) + ">"
            : type.Name;
    }
}
