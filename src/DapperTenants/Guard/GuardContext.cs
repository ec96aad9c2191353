namespace DapperTenants.Guard;

/// <summary>What a plan's checks may depend on besides the parameters: the connection's tenant and its session's fate.</summary>
/// <param name="Tenant">The connection's tenant.</param>
/// <param name="SessionOutlivesLease">
/// Whether the server session may serve another lease without being reset (<c>No Reset On Close</c>, multiplexing, a
/// declared external transaction pooler, or a connection enlisted in a <c>TransactionScope</c>): statements that leave
/// state in the session are then refused.
/// </param>
/// <param name="TransactionOutlivesLease">
/// Whether the server transaction may serve another lease: a connection enlisted in a <c>TransactionScope</c>, whose
/// transaction Npgsql hands to the next connection opened in the same scope. What lives until the end of a transaction
/// (a cursor, a temporary table <c>ON COMMIT DROP</c>) is then refused too.
/// </param>
internal readonly record struct GuardContext(string Tenant, bool SessionOutlivesLease, bool TransactionOutlivesLease = false);
