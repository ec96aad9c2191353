using System.Reflection;
using System.Reflection.Emit;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>AddAssembly registers every [Rls] type of an assembly and nothing else.</summary>
[Category(Categories.Unit)]
public sealed class AddAssemblyTests
{
    [Test]
    public void AddAssembly_registers_the_tagged_types_only()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("DapperTenants.Dynamic"), AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule("DapperTenants.Dynamic");
        DefineType(module, "Shop.Basket", tag: "baskets");
        DefineType(module, "Shop.CustomerNote", tag: string.Empty);
        DefineType(module, "Shop.Untagged", tag: null);
        using var offline = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");

        var script = new PolicyInstaller(offline).AddAssembly(assembly).Script();

        script.ShouldContain("-- \"public\".\"baskets\" (Shop.Basket.Tenant)");
        script.ShouldContain("-- \"public\".\"customer_note\" (Shop.CustomerNote.Tenant)");
        script.ShouldNotContain("untagged");
    }

    [Test]
    public void AddAssembly_reports_every_bad_type_of_the_assembly()
    {
        using var offline = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");

        var ex = Should.Throw<RlsModelException>(() => new PolicyInstaller(offline).AddAssembly(typeof(AddAssemblyTests).Assembly).Script());

        ex.Message.ShouldContain("ModelScannerTests.NoTenant has no tenant property");
        ex.Message.ShouldContain("ModelScannerTests.DecimalTenant.Tenant is decimal?");
        ex.Message.ShouldContain("both map \"public\".\"invoice\", differently");
    }

    /// <summary>Defines a public class with a string Tenant auto-property, tagged [Rls(tag)] ([Rls] when empty, untagged when null).</summary>
    private static void DefineType(ModuleBuilder module, string name, string? tag)
    {
        var type = module.DefineType(name, TypeAttributes.Public | TypeAttributes.Class | TypeAttributes.Sealed);
        if (tag is not null)
        {
            type.SetCustomAttribute(tag.Length == 0
                ? new CustomAttributeBuilder(typeof(RlsAttribute).GetConstructor(Type.EmptyTypes)!, [])
                : new CustomAttributeBuilder(typeof(RlsAttribute).GetConstructor([typeof(string)])!, [tag]));
        }

        var field = type.DefineField("_tenant", typeof(string), FieldAttributes.Private);
        var property = type.DefineProperty("Tenant", PropertyAttributes.None, typeof(string), null);
        const MethodAttributes accessor = MethodAttributes.Public | MethodAttributes.SpecialName | MethodAttributes.HideBySig;
        var getter = type.DefineMethod("get_Tenant", accessor, typeof(string), Type.EmptyTypes);
        var il = getter.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, field);
        il.Emit(OpCodes.Ret);
        var setter = type.DefineMethod("set_Tenant", accessor, null, [typeof(string)]);
        il = setter.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Stfld, field);
        il.Emit(OpCodes.Ret);
        property.SetGetMethod(getter);
        property.SetSetMethod(setter);
        type.CreateType();
    }
}
