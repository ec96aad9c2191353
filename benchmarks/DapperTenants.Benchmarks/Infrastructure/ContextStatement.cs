namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>The context statement a <c>contextcost</c> form sends ahead of its statement.</summary>
internal enum ContextStatement
{
    /// <summary>None: a reference.</summary>
    None,

    /// <summary><c>select set_config('setting', $1, true)</c>, the value bound as text.</summary>
    SetConfig,

    /// <summary><c>set local setting = 'value'</c>, the value as a literal.</summary>
    SetLocal,
}
