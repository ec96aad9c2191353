using System.Globalization;
using System.Reflection;
using System.Reflection.Emit;
using System.Text;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// Scenario 5's tables: <c>table_000</c> … in a schema of their own, each with a tenant column, and one
/// <see cref="RlsAttribute"/> type per table, emitted at run time (the installer takes types, and 200 hand-written
/// classes would be noise).
/// </summary>
internal sealed class InstallerTables
{
    /// <summary>The schema, apart from the seeded tables so that resetting it never touches them.</summary>
    public const string Schema = "bench_installer";

    public InstallerTables(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        Names = [.. Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"table_{i:D3}"))];
    }

    public int Count { get; }

    public IReadOnlyList<string> Names { get; }

    /// <summary>The table count of this run (<c>--installer-tables</c>, passed on by <see cref="Program"/>), else 200.</summary>
    public static InstallerTables FromEnvironment() =>
        new(int.TryParse(Environment.GetEnvironmentVariable(BenchEnvironment.InstallerTables), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0
            ? count
            : BenchCommandLine.FullInstallerTables);

    /// <summary>Drops and recreates the schema with every table: plain tables, no RLS, no policy, no default.</summary>
    /// <remarks>The primary key leads on the tenant column and the column is NOT NULL, so the plan has no warnings.</remarks>
    public string CreateSql()
    {
        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"drop schema if exists {Schema} cascade;\ncreate schema {Schema};\n");
        foreach (var name in Names)
        {
            sql.Append(CultureInfo.InvariantCulture,
                $"create table {Schema}.{name} (tenant text not null, id bigint not null, total numeric(12, 2) not null, primary key (tenant, id));\n");
        }

        return sql.ToString();
    }

    /// <summary>
    /// Brings every table back to what <see cref="CreateSql"/> left: drops all policies, disables and un-forces RLS,
    /// drops the tenant column's default. Whatever the installer changes, found from the catalog rather than assumed.
    /// </summary>
    public static string ResetSql { get; } = $"""
        do $reset$
        declare r record;
        begin
          for r in select schemaname, tablename, policyname from pg_policies where schemaname = '{Schema}' loop
            execute format('drop policy %I on %I.%I', r.policyname, r.schemaname, r.tablename);
          end loop;
          for r in select c.oid::regclass as relation from pg_class c join pg_namespace n on n.oid = c.relnamespace
                   where n.nspname = '{Schema}' and c.relkind in ('r', 'p') loop
            execute format('alter table %s no force row level security, disable row level security, alter column tenant drop default', r.relation);
          end loop;
        end
        $reset$
        """;

    /// <summary>Counts what <see cref="ResetSql"/> undoes: policies, tables with RLS enabled or forced, tenant defaults.</summary>
    public static string StateSql { get; } = $"""
        select (select count(*) from pg_policies where schemaname = '{Schema}')
             + (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = '{Schema}' and (c.relrowsecurity or c.relforcerowsecurity))
             + (select count(*) from pg_attrdef d join pg_class c on c.oid = d.adrelid join pg_namespace n on n.oid = c.relnamespace
                join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
                where n.nspname = '{Schema}' and a.attname = 'tenant')
        """;

    /// <summary>One public class per table with <c>[Rls("table_i", Schema = "bench_installer")]</c> and a <c>string Tenant</c> property.</summary>
    public Type[] EmitTypes()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("DapperTenants.Benchmarks.InstallerTypes"), AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule("InstallerTypes");
        var rls = typeof(RlsAttribute).GetConstructor([typeof(string)])!;
        var schema = typeof(RlsAttribute).GetProperty(nameof(RlsAttribute.Schema))!;
        var types = new Type[Count];
        for (var i = 0; i < Count; i++)
        {
            var type = module.DefineType(
                "DapperTenants.Benchmarks.InstallerTypes.Table" + i.ToString("D3", CultureInfo.InvariantCulture),
                TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class | TypeAttributes.BeforeFieldInit);
            type.SetCustomAttribute(new CustomAttributeBuilder(rls, [Names[i]], [schema], [Schema]));
            type.DefineDefaultConstructor(MethodAttributes.Public);
            DefineStringProperty(type, "Tenant");
            types[i] = type.CreateType();
        }

        return types;
    }

    private static void DefineStringProperty(TypeBuilder type, string name)
    {
        var field = type.DefineField("_" + name, typeof(string), FieldAttributes.Private);
        var property = type.DefineProperty(name, PropertyAttributes.None, typeof(string), null);
        const MethodAttributes Accessor = MethodAttributes.Public | MethodAttributes.SpecialName | MethodAttributes.HideBySig;

        var getter = type.DefineMethod("get_" + name, Accessor, typeof(string), Type.EmptyTypes);
        var il = getter.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, field);
        il.Emit(OpCodes.Ret);
        property.SetGetMethod(getter);

        var setter = type.DefineMethod("set_" + name, Accessor, null, [typeof(string)]);
        il = setter.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Stfld, field);
        il.Emit(OpCodes.Ret);
        property.SetSetMethod(setter);
    }
}
