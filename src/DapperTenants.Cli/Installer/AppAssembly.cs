using System.Reflection;

namespace DapperTenants.Cli.Installer;

/// <summary>An application assembly loaded for the installer, with its <see cref="RlsAttribute"/> types.</summary>
internal sealed class AppAssembly : IDisposable
{
    private readonly AppLoadContext _context;

    private AppAssembly(AppLoadContext context, Assembly assembly, IReadOnlyList<Type> rlsTypes)
    {
        _context = context;
        Assembly = assembly;
        RlsTypes = rlsTypes;
    }

    public Assembly Assembly { get; }

    /// <summary>The types tagged <c>[Rls]</c>, sorted by full name.</summary>
    public IReadOnlyList<Type> RlsTypes { get; }

    public string FileName => Path.GetFileName(Assembly.Location);

    /// <summary>Loads the assembly at <paramref name="file"/> and finds its [Rls] types.</summary>
    /// <exception cref="CliException">The file is not a loadable .NET assembly, a type cannot load, or there is no [Rls] type.</exception>
    public static AppAssembly Load(FileInfo file)
    {
        var path = file.FullName;
        var context = new AppLoadContext(path);
        try
        {
            Assembly assembly;
            try
            {
                assembly = context.LoadFromAssemblyPath(path);
            }
            catch (BadImageFormatException)
            {
                throw new CliException($"{file.Name} is not a .NET assembly: pass the compiled .dll of the project that holds the [Rls] types (bin/<Configuration>/<framework>/).");
            }

            Type[] types;
            try
            {
                types = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException ex)
            {
                var first = ex.LoaderExceptions.FirstOrDefault(e => e is not null)?.Message ?? "unknown reason";
                throw new CliException($"Some types of {file.Name} could not be loaded ({first}). Point --assembly at the build output folder, where its dependencies are.");
            }

            var rlsTypes = types.Where(t => t.IsDefined(typeof(RlsAttribute), inherit: false))
                .OrderBy(t => t.FullName, StringComparer.Ordinal)
                .ToList();
            if (rlsTypes.Count == 0)
            {
                throw new CliException($"{file.Name} has no class tagged [Rls] (DapperTenants.RlsAttribute): nothing to plan. Tag your tenant-owned POCOs with [Rls] and rebuild.");
            }

            return new AppAssembly(context, assembly, rlsTypes);
        }
        catch
        {
            context.Unload();
            throw;
        }
    }

    public void Dispose() => _context.Unload();
}
