using DapperTenants.AspNetCore.Tests.Support;

namespace DapperTenants.AspNetCore.Tests.Scope;

/// <summary>The ambient tenant on its own: nesting, and a disposed scope never being current again.</summary>
[Category(Categories.Unit)]
public sealed class TenantScopeTests
{
    [Test]
    public void Nested_scopes_restore_the_outer_tenant()
    {
        TenantScope.Current.ShouldBeNull();
        using (TenantScope.Begin("acme"))
        {
            TenantScope.Current.ShouldBe("acme");
            using (TenantScope.Begin("globex"))
            {
                TenantScope.Current.ShouldBe("globex");
            }

            TenantScope.Current.ShouldBe("acme");
        }

        TenantScope.Current.ShouldBeNull();
    }

    [Test]
    public async Task Tenant_flows_into_awaited_work_but_not_back_out()
    {
        async Task<string?> Inner()
        {
            await Task.Yield();
            return TenantScope.Current;
        }

        async Task BeginWithoutDisposing()
        {
            await Task.Yield();
            _ = TenantScope.Begin("leaked");
        }

        using (TenantScope.Begin("acme"))
        {
            (await Inner()).ShouldBe("acme");
        }

        await BeginWithoutDisposing();
        TenantScope.Current.ShouldBeNull();
    }

    [Test]
    public async Task Work_queued_inside_a_scope_that_runs_after_it_is_disposed_sees_no_tenant()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<string?> later;
        using (TenantScope.Begin("acme"))
        {
            later = Task.Run(async () =>
            {
                await release.Task;
                return TenantScope.Current;
            });
        }

        release.SetResult();
        (await later).ShouldBeNull();
    }

    [Test]
    public async Task Disposed_inner_scope_in_captured_work_falls_back_to_the_outer_one_still_open()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (TenantScope.Begin("acme"))
        {
            Task<string?> later;
            using (TenantScope.Begin("globex"))
            {
                later = Task.Run(async () =>
                {
                    await release.Task;
                    return TenantScope.Current;
                });
            }

            release.SetResult();
            (await later).ShouldBe("acme");
        }
    }

    [Test]
    public void Disposing_a_scope_twice_changes_nothing()
    {
        using var outer = TenantScope.Begin("acme");
        var inner = TenantScope.Begin("globex");
        inner.Dispose();
        inner.Dispose();
        TenantScope.Current.ShouldBe("acme");
    }

    [Test]
    public async Task Open_current_without_a_scope_names_the_fix()
    {
        await using var tenants = TenantDataSource.Create("Host=127.0.0.1;Port=1");
        var error = await Should.ThrowAsync<InvalidOperationException>(() => tenants.OpenCurrentAsync().AsTask());
        error.Message.ShouldBe(
            "No tenant is current: OpenCurrent needs an open TenantScope in this flow. Wrap the work in "
            + "'using (TenantScope.Begin(tenant)) { ... }', or call Open(tenant) with the tenant explicitly.");
    }
}
