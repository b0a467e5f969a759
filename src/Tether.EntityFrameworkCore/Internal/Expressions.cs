using System.Linq.Expressions;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>Small helpers for the queries built from a model's key and rule columns.</summary>
internal static class Expressions
{
    /// <summary><paramref name="lambda"/>'s body with its one parameter replaced by <paramref name="argument"/>.</summary>
    public static Expression Inline(LambdaExpression lambda, Expression argument)
        => new Replacer(lambda.Parameters[0], argument).Visit(lambda.Body);

    /// <summary>A read of <paramref name="value"/> that EF Core sends as a parameter.</summary>
    public static Expression Parameter<T>(T value) => Expression.Field(Expression.Constant(new Box<T>(value)), nameof(Box<T>.Value));

    private sealed class Replacer(ParameterExpression parameter, Expression argument) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == parameter ? argument : node;
    }
}
