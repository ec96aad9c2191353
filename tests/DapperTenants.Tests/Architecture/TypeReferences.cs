using System.Reflection;
using System.Reflection.Emit;

namespace DapperTenants.Tests.Architecture;

/// <summary>
/// Every type a type refers to: in its signatures (base type, interfaces, fields, properties, method parameters and
/// returns, generic arguments) and in its method bodies' IL (the types, methods and fields each instruction names),
/// nested and compiler-generated types (lambdas, async state machines) included. Reflection only: no Roslyn, no
/// decompiler, so the rules hold for what was compiled, not for what a source file says.
/// </summary>
public static class TypeReferences
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The types <paramref name="type"/> and its nested types refer to, each with where (a member name) it was found.</summary>
    public static IEnumerable<(Type Referenced, string Where)> Of(Type type)
    {
        var found = new List<(Type, string)>();
        Collect(type, found);
        return found.SelectMany(f => Expand(f.Item1).Select(t => (t, f.Item2)));
    }

    /// <summary>The outermost type that declares <paramref name="type"/> (itself when it is not nested).</summary>
    public static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } declaring)
        {
            type = declaring;
        }

        return type;
    }

    private static void Collect(Type type, List<(Type, string)> found)
    {
        var name = type.FullName ?? type.Name;
        if (type.BaseType is { } baseType)
        {
            found.Add((baseType, name + " : base"));
        }

        found.AddRange(type.GetInterfaces().Select(i => (i, name + " : interface")));
        foreach (var field in type.GetFields(Declared))
        {
            found.Add((field.FieldType, $"{name}.{field.Name}"));
        }

        foreach (var property in type.GetProperties(Declared))
        {
            found.Add((property.PropertyType, $"{name}.{property.Name}"));
        }

        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            var where = $"{name}.{method.Name}";
            if (method is MethodInfo info)
            {
                found.Add((info.ReturnType, where));
            }

            found.AddRange(method.GetParameters().Select(p => (p.ParameterType, where)));
            found.AddRange(InBody(method).Select(t => (t, where)));
        }

        foreach (var nested in type.GetNestedTypes(Declared))
        {
            Collect(nested, found);
        }
    }

    /// <summary>The types the IL of <paramref name="method"/> names: each type, and each method's and field's declaring type.</summary>
    private static IEnumerable<Type> InBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var position = 0;
        while (position < il.Length)
        {
            var value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            position += il[position] == 0xFE ? 2 : 1;
            var opCode = OpCodesByValue[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField:
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, position), typeArguments, methodArguments);
                    if (member is Type referenced)
                    {
                        yield return referenced;
                    }
                    else if (member?.DeclaringType is { } owner)
                    {
                        yield return owner;
                        if (member is MethodInfo called)
                        {
                            yield return called.ReturnType;
                            foreach (var argument in called.IsGenericMethod ? called.GetGenericArguments() : [])
                            {
                                yield return argument;
                            }
                        }
                        else if (member is FieldInfo field)
                        {
                            yield return field.FieldType;
                        }
                    }

                    position += 4;
                    break;
                case OperandType.InlineSwitch:
                    position += 4 + (4 * BitConverter.ToInt32(il, position));
                    break;
                default:
                    position += OperandSize(opCode.OperandType);
                    break;
            }
        }
    }

    private static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };

    /// <summary>A type and the types it is made of: element types of arrays, references and pointers; generic arguments.</summary>
    private static IEnumerable<Type> Expand(Type type)
    {
        if (type.IsGenericParameter)
        {
            yield break;
        }

        if (type.HasElementType)
        {
            foreach (var element in Expand(type.GetElementType()!))
            {
                yield return element;
            }

            yield break;
        }

        yield return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            foreach (var nested in Expand(argument))
            {
                yield return nested;
            }
        }
    }
}
