using Microsoft.Extensions.Logging;

namespace DapperTenants.AspNetCore;

/// <summary>Log events of the ASP.NET Core integration, with stable ids (the core's events are 1001–1099).</summary>
internal static partial class AspNetCoreLog
{
    [LoggerMessage(EventId = 2001, EventName = "TenantMissing", Level = LogLevel.Debug,
        Message = "No tenant could be resolved for an endpoint that needs one; answering {StatusCode}.")]
    public static partial void TenantMissing(ILogger logger, int statusCode);

    [LoggerMessage(EventId = 2007, EventName = "TenantMissingHandled", Level = LogLevel.Debug,
        Message = "No tenant could be resolved for an endpoint that needs one; the configured handler answers.")]
    public static partial void TenantMissingHandled(ILogger logger);

    [LoggerMessage(EventId = 2002, EventName = "TenantInvalid", Level = LogLevel.Information,
        Message = "Refused the tenant named by the {Source} (400): {Problem}")]
    public static partial void TenantInvalid(ILogger logger, string source, string problem);

    [LoggerMessage(EventId = 2003, EventName = "TenantConflict", Level = LogLevel.Warning,
        Message = "The tenant named by the {Source} is not a tenant of the signed-in user; refused with 403.")]
    public static partial void TenantConflict(ILogger logger, string source);

    [LoggerMessage(EventId = 2004, EventName = "PoliciesApplied", Level = LogLevel.Information,
        Message = "Row-Level Security policies applied at startup: {StepCount} step(s).")]
    public static partial void PoliciesApplied(ILogger logger, int stepCount);

    [LoggerMessage(EventId = 2005, EventName = "PolicyWarning", Level = LogLevel.Warning,
        Message = "Policy installer warning: {Warning}")]
    public static partial void PolicyWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 2006, EventName = "PoliciesFailed", Level = LogLevel.Critical,
        Message = "Applying the Row-Level Security policies at startup failed; the application does not start.")]
    public static partial void PoliciesFailed(ILogger logger, Exception exception);
}
