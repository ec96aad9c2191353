using Npgsql;

namespace DapperTenants.Guard;

/// <summary>One evaluation of a plan: the command's parameters, the connection's context, and what is learned once per evaluation.</summary>
/// <remarks>Passed by reference to every check, so that a plan with thousands of placeholders stays linear.</remarks>
internal struct GuardEvaluation
{
    // 0: not looked at yet; 1: every parameter is positional (Npgsql sends $n as written); 2: some parameter has a name.
    private int _positional;

    public GuardEvaluation(NpgsqlParameterCollection parameters, GuardContext context)
    {
        Parameters = parameters;
        Context = context;
    }

    public NpgsqlParameterCollection Parameters { get; }

    public GuardContext Context { get; }

    public readonly string Tenant => Context.Tenant;

    /// <summary>The parameter Npgsql binds to the placeholder, or <see langword="null"/> when there is none (Npgsql then sends the placeholder as written).</summary>
    public NpgsqlParameter? Find(ParameterRef reference)
    {
        if (reference.Name is { } name)
        {
            // Npgsql's own lookup (its rules for prefixes and case, and its dictionary for larger collections).
            var index = Parameters.IndexOf(name);
            return index < 0 ? null : Parameters[index];
        }

        if (reference.Position < 1 || reference.Position > Parameters.Count)
        {
            return null;
        }

        if (_positional == 0)
        {
            _positional = 1;
            for (var i = 0; i < Parameters.Count; i++)
            {
                if (!string.IsNullOrEmpty(Parameters[i].ParameterName))
                {
                    _positional = 2;
                    break;
                }
            }
        }

        // $n refers to the n-th parameter only when every parameter is positional.
        return _positional == 1 ? Parameters[reference.Position - 1] : null;
    }
}
