using DapperTenants.Cli;
using DapperTenants.Cli.Installer;
using DapperTenants.Tests.Support;

namespace DapperTenants.Cli.Tests;

[Category(Categories.Unit)]
public class AppAssemblyTests
{
    [Test]
    public void The_sample_assembly_loads_with_its_two_Rls_types()
    {
        using var app = AppAssembly.Load(new FileInfo(CliRun.SampleAssembly));
        app.RlsTypes.Select(t => t.FullName).ShouldBe(["DapperTenants.Cli.Sample.Invoice", "DapperTenants.Cli.Sample.Project"]);
        app.FileName.ShouldBe("DapperTenants.Cli.Sample.dll");
    }

    [Test]
    public void The_loaded_assembly_sees_the_CLIs_own_RlsAttribute_type()
    {
        // Were DapperTenants.dll loaded a second time, the installer's AddAssembly would find no tagged class.
        using var app = AppAssembly.Load(new FileInfo(CliRun.SampleAssembly));
        app.RlsTypes.ShouldAllBe(t => t.GetCustomAttributes(typeof(RlsAttribute), false).Length == 1);
        app.RlsTypes[0].GetCustomAttributes(false).Single(a => a.GetType().Name == nameof(RlsAttribute)).GetType().ShouldBeSameAs(typeof(RlsAttribute));
        app.Assembly.GetReferencedAssemblies().ShouldContain(a => a.Name == "DapperTenants");
    }

    [Test]
    public void The_sample_is_loaded_apart_from_the_default_context()
    {
        using var app = AppAssembly.Load(new FileInfo(CliRun.SampleAssembly));
        System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(app.Assembly).ShouldNotBe(System.Runtime.Loader.AssemblyLoadContext.Default);
    }

    [Test]
    public void An_assembly_without_Rls_types_is_refused_with_a_clear_message()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "DapperTenants.Testing.dll");
        var error = Should.Throw<CliException>(() => AppAssembly.Load(new FileInfo(path)));
        error.Message.ShouldBe("DapperTenants.Testing.dll has no class tagged [Rls] (DapperTenants.RlsAttribute): nothing to plan. Tag your tenant-owned POCOs with [Rls] and rebuild.");
    }

    [Test]
    public void A_file_that_is_not_an_assembly_is_refused_with_a_clear_message()
    {
        var path = Path.Combine(Path.GetTempPath(), $"not-an-assembly-{Guid.NewGuid():N}.dll");
        File.WriteAllText(path, "hello");
        try
        {
            var error = Should.Throw<CliException>(() => AppAssembly.Load(new FileInfo(path)));
            error.Message.ShouldStartWith($"{Path.GetFileName(path)} is not a .NET assembly: pass the compiled .dll");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Script_on_an_assembly_without_Rls_types_exits_1_with_one_line()
    {
        var run = await CliRun.RunAsync("script", "--assembly", Path.Combine(AppContext.BaseDirectory, "DapperTenants.Testing.dll"));
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Err.ShouldBe("error: DapperTenants.Testing.dll has no class tagged [Rls] (DapperTenants.RlsAttribute): nothing to plan. Tag your tenant-owned POCOs with [Rls] and rebuild." + Environment.NewLine);
        run.Out.ShouldBeEmpty();
    }
}
