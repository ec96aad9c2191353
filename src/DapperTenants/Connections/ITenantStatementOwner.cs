namespace DapperTenants.Connections;

/// <summary>A command or batch whose statements an execution borrows until it completes.</summary>
internal interface ITenantStatementOwner
{
    /// <summary>The execution is over: what it borrowed may be reused by the next one.</summary>
    void Released(TenantExecution execution);
}
