using System.Reflection;
using System.Runtime.Loader;

namespace DapperTenants.Cli.Installer;

/// <summary>
/// Loads an application assembly and its dependencies from its own folder (through its .deps.json when there is one),
/// except DapperTenants itself, which always resolves to the CLI's copy.
/// </summary>
/// <remarks>
/// <see cref="PolicyInstaller.AddAssembly"/> looks for <see cref="RlsAttribute"/> by type identity. Were the
/// application's copy of DapperTenants.dll loaded a second time, its <c>RlsAttribute</c> would be another type and no
/// class would look tagged. Returning <see langword="null"/> for it defers to the default context, where the CLI's copy lives.
/// </remarks>
internal sealed class AppLoadContext : AssemblyLoadContext
{
    private static readonly string SharedAssembly = typeof(RlsAttribute).Assembly.GetName().Name!;

    private readonly AssemblyDependencyResolver _resolver;
    private readonly string _directory;

    public AppLoadContext(string assemblyPath)
        : base("dapper-tenants " + Path.GetFileName(assemblyPath), isCollectible: true)
    {
        _resolver = new AssemblyDependencyResolver(assemblyPath);
        _directory = Path.GetDirectoryName(assemblyPath)!;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (string.Equals(assemblyName.Name, SharedAssembly, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        if (path is null && assemblyName.Name is { } name)
        {
            // No .deps.json (a plain bin folder): look beside the assembly, then fall back to the CLI's own copies.
            var candidate = Path.Combine(_directory, name + ".dll");
            path = File.Exists(candidate) && !IsLoadedByDefault(name) ? candidate : null;
        }

        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    // Framework and CLI assemblies already in the default context are shared rather than loaded twice.
    private static bool IsLoadedByDefault(string name) =>
        Default.Assemblies.Any(a => string.Equals(a.GetName().Name, name, StringComparison.OrdinalIgnoreCase));
}
