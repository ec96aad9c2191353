using DapperTenants.Testing;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.TestKit;

/// <summary>The test kit works under any test framework: it depends on none and fails with its own exception type.</summary>
[Category(Categories.Unit)]
public class FrameworkNeutralTests
{
    [Test]
    public void The_test_kit_references_no_test_framework()
    {
        var references = typeof(PolicyTransaction).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        references.ShouldContain("Npgsql");
        references.Where(name => name.StartsWith("nunit", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("xunit", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("Microsoft.VisualStudio.TestPlatform", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("MSTest", StringComparison.OrdinalIgnoreCase))
            .ShouldBeEmpty();
    }

    [Test]
    public void A_failed_assertion_is_a_plain_exception_of_the_kit()
    {
        typeof(PolicyAssertionException).BaseType.ShouldBe(typeof(Exception));
        typeof(PolicyAssertionException).IsSealed.ShouldBeTrue();
    }
}
