namespace DapperTenants;

/// <summary>
/// An ambient tenant for the current asynchronous flow, for code that has no request to read the tenant from:
/// background workers, message handlers, scheduled jobs. <see cref="TenantDataSource.OpenCurrent"/> opens a
/// connection for it.
/// </summary>
/// <remarks>
/// The tenant flows with <see cref="ExecutionContext"/> (an <see cref="AsyncLocal{T}"/>): into awaited calls and
/// tasks started inside the scope, never back out to the caller or into work queued after the scope ended.
/// Scopes nest; disposing one restores the tenant that was current when it began.
/// </remarks>
/// <example>
/// <code>
/// using (TenantScope.Begin("acme"))
/// {
///     await using var conn = await tenants.OpenCurrentAsync(cancellationToken);
///     await conn.ExecuteAsync("update orders set note = 'seen'");
/// }
/// </code>
/// </example>
public static class TenantScope
{
    private static readonly AsyncLocal<Frame?> Ambient = new();

    /// <summary>The tenant of the innermost scope that is still open in this flow, or <see langword="null"/> outside any scope.</summary>
    /// <remarks>A scope already disposed is never current, even in work that captured the flow while it was open.</remarks>
    public static string? Current
    {
        get
        {
            var frame = Ambient.Value;
            while (frame is { IsDisposed: true })
            {
                frame = frame.Outer;
            }

            return frame?.Tenant;
        }
    }

    /// <summary>Makes <paramref name="tenant"/> the current tenant until the returned scope is disposed.</summary>
    /// <param name="tenant">The tenant value; checked as <see cref="TenantDataSource.Open"/> checks it, without a length limit (the data source applies its own).</param>
    /// <returns>A scope that restores the previous tenant when disposed; disposing it twice does nothing.</returns>
    /// <exception cref="ArgumentException">The tenant is empty, whitespace or contains NUL.</exception>
    public static IDisposable Begin(string tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (string.IsNullOrWhiteSpace(tenant))
        {
            throw new ArgumentException("The tenant value is empty or whitespace. Pass the tenant's identifier, for example TenantScope.Begin(\"acme\").", nameof(tenant));
        }

        if (tenant.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The tenant value contains a NUL character; PostgreSQL text cannot hold it. Remove it.", nameof(tenant));
        }

        var frame = new Frame(tenant, Ambient.Value);
        Ambient.Value = frame;
        return frame;
    }

    private sealed class Frame : IDisposable
    {
        private int _disposed;

        public Frame(string tenant, Frame? outer)
        {
            Tenant = tenant;
            Outer = outer;
        }

        public string Tenant { get; }

        public Frame? Outer { get; }

        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            // Pops this scope (and any inner one left undisposed) only in a flow where it is on the chain: disposing
            // a captured scope elsewhere must not change that flow's tenant.
            for (var frame = Ambient.Value; frame is not null; frame = frame.Outer)
            {
                if (ReferenceEquals(frame, this))
                {
                    Ambient.Value = Outer;
                    return;
                }
            }
        }
    }
}
