namespace DapperTenants;

/// <summary>How long the tenant setting lives on the server connection.</summary>
public enum TenantContextScope
{
    /// <summary>
    /// The default and the safe choice: the tenant is set with <c>set_config(setting, tenant, true)</c>
    /// in the same round trip as every statement outside an explicit transaction, and once per explicit
    /// transaction. Nothing outlives the transaction, so it is safe with <c>No Reset On Close</c>,
    /// <see cref="System.Transactions.TransactionScope"/> and PgBouncer in transaction pooling mode.
    /// </summary>
    Transaction = 0,

    /// <summary>
    /// The tenant is set with <c>set_config(setting, tenant, false)</c> once per open, riding with the first
    /// statement. Only for direct connections whose pool resets the session on return; data sources with
    /// <c>No Reset On Close=true</c> or <c>Multiplexing=true</c> are refused in this scope.
    /// </summary>
    Session = 1,
}
