//! Workspaces and their members.

use actix_web::HttpResponse;
use concord_domain::user::parse_image_url;
use concord_domain::workspace::parse_long_text;
use concord_domain::{UserId, Validator, WorkspaceId, WorkspaceName, WorkspacePatch};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{
    MembershipDto, NoticeDto, WorkspaceDetailsDto, WorkspaceDto, WorkspaceSummaryDto,
};
use crate::error::{ApiError, Conflict, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, run};
use crate::routes::Chat;
use crate::schema;

/// A new workspace. `name` and `description` are required, as in seed 004.
#[derive(Deserialize, ToSchema)]
pub struct CreateWorkspaceBody {
    #[schema(value_type = schema::Name, required)]
    name: Option<String>,
    #[schema(value_type = schema::LongText, required)]
    description: Option<String>,
    #[serde(alias = "imageUrl")]
    #[schema(value_type = Option<schema::Url>)]
    image_url: Option<String>,
}

/// A valid new workspace: its name, description and image.
type NewWorkspace = (WorkspaceName, Option<String>, Option<String>);

impl CreateWorkspaceBody {
    fn into_domain(self) -> Result<NewWorkspace, ApiError> {
        let mut v = Validator::new();
        let name = v.require("Name", self.name, |s| WorkspaceName::parse(&s));
        let description = v.require("Description", self.description, |s| {
            parse_long_text(&s, "Description")
        });
        let image_url = v
            .optional(self.image_url, |s| parse_image_url(&s))
            .flatten();
        v.finish(|| Some((name?, description?, image_url)))
            .map_err(|e| ApiError::invalid_body(e.0))
    }
}

/// Changes to a workspace; absent fields stay as they are, an empty
/// description or image clears it.
#[derive(Deserialize, ToSchema)]
pub struct UpdateWorkspaceBody {
    #[schema(value_type = Option<schema::Name>)]
    name: Option<String>,
    #[schema(value_type = Option<schema::LongText>)]
    description: Option<String>,
    #[serde(alias = "imageUrl")]
    #[schema(value_type = Option<schema::Url>)]
    image_url: Option<String>,
}

impl UpdateWorkspaceBody {
    fn into_domain(self) -> Result<WorkspacePatch, ApiError> {
        let mut v = Validator::new();
        let name = v.optional(self.name, |s| WorkspaceName::parse(&s));
        let description = v.optional(self.description, |s| parse_long_text(&s, "Description"));
        let image_url = v.optional(self.image_url, |s| parse_image_url(&s));
        v.finish(|| {
            Some(WorkspacePatch {
                name,
                description,
                image_url,
            })
        })
        .map_err(|e| ApiError::validation(e.0))
    }
}

/// A user to add to a workspace. A body `workspace_id` is ignored: the path wins.
#[derive(Deserialize, ToSchema)]
pub struct AddMemberBody {
    #[serde(alias = "userId")]
    #[schema(value_type = Id, required)]
    user_id: Option<Id>,
}

/// The caller's workspaces.
/// # Responses: 200 · 401
#[utoipa::path(get, path = "/api/workspaces/session", tag = "workspaces",
    responses((status = 200, body = Vec<WorkspaceSummaryDto>)), security(("bearer" = [])))]
pub async fn list_my_workspaces(chat: Chat, me: AuthUser) -> Result<HttpResponse, ApiError> {
    let list = run(&chat, move |s| s.workspaces.workspaces_of(me.id)).await?;
    Ok(HttpResponse::Ok().json(
        list.iter()
            .map(WorkspaceSummaryDto::from)
            .collect::<Vec<_>>(),
    ))
}

/// A workspace with its owner and members; members only.
/// # Responses: 200 · 400 · 401 · 403 not a member · 404 workspace not found
#[utoipa::path(get, path = "/api/workspaces/{id}", tag = "workspaces", params(("id" = Id, Path)),
    responses((status = 200, body = WorkspaceDetailsDto), Refusals), security(("bearer" = [])))]
pub async fn get_workspace(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
) -> Result<HttpResponse, ApiError> {
    let details = run(&chat, move |s| s.workspaces.workspace_details(me.id, id)).await?;
    Ok(HttpResponse::Ok().json(WorkspaceDetailsDto::from(&details)))
}

/// Create a workspace; the caller owns it and it starts with a `general` channel.
/// # Responses: 201 · 400 invalid body · 401
#[utoipa::path(post, path = "/api/workspaces", tag = "workspaces", request_body = CreateWorkspaceBody,
    responses((status = 201, body = WorkspaceDto)),
    security(("bearer" = [])))]
pub async fn create_workspace(
    chat: Chat,
    me: AuthUser,
    body: Json<CreateWorkspaceBody>,
) -> Result<HttpResponse, ApiError> {
    let (name, description, image_url) = body.into_inner().into_domain()?;
    let (ws, owner) = run(&chat, move |s| {
        s.workspaces
            .create_workspace(me.id, name, description, image_url)
    })
    .await?;
    Ok(HttpResponse::Created().json(WorkspaceDto::new(&ws, &owner)))
}

/// Edit a workspace; owner and admins.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(put, path = "/api/workspaces/{id}", tag = "workspaces", params(("id" = Id, Path)), request_body = UpdateWorkspaceBody,
    responses((status = 200, body = WorkspaceDto), Refusals), security(("bearer" = [])))]
pub async fn update_workspace(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
    body: Json<UpdateWorkspaceBody>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner().into_domain()?;
    let (ws, owner) = run(&chat, move |s| {
        s.workspaces.update_workspace(me.id, id, patch)
    })
    .await?;
    Ok(HttpResponse::Ok().json(WorkspaceDto::new(&ws, &owner)))
}

/// Delete a workspace and everything in it; the owner alone.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/api/workspaces/{id}", tag = "workspaces", params(("id" = Id, Path)),
    responses((status = 200, body = NoticeDto), Refusals), security(("bearer" = [])))]
pub async fn delete_workspace(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
) -> Result<HttpResponse, ApiError> {
    run(&chat, move |s| s.workspaces.delete_workspace(me.id, id)).await?;
    Ok(HttpResponse::Ok().json(NoticeDto::new("Workspace deleted")))
}

/// Add a user to a workspace as a guest; owner and admins.
/// # Responses: 201 · 400 · 401 · 403 · 404 workspace or user not found · 409 already a member
#[utoipa::path(post, path = "/api/workspaces/{id}/members", tag = "workspaces", params(("id" = Id, Path)), request_body = AddMemberBody,
    responses((status = 201, body = MembershipDto), Refusals, Conflict), security(("bearer" = [])))]
pub async fn add_member(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
    body: Json<AddMemberBody>,
) -> Result<HttpResponse, ApiError> {
    let user = body
        .into_inner()
        .user_id
        .ok_or_else(|| ApiError::validation(vec!["User ID is required".into()]))?;
    let user = UserId::new(user.get());
    let membership = run(&chat, move |s| s.members.add_member(me.id, id, user)).await?;
    Ok(HttpResponse::Created().json(MembershipDto::from(&membership)))
}

/// Remove a member: kicking (owner, admins; moderators kick guests) or
/// leaving when the user is the caller (anyone but the owner).
/// # Responses: 200 · 400 · 401 · 403 · 404 workspace not found or user not in it
#[utoipa::path(delete, path = "/api/workspaces/{workspaceId}/members/{userId}", tag = "workspaces",
    params(("workspaceId" = Id, Path), ("userId" = Id, Path)),
    responses((status = 200, body = NoticeDto), Refusals), security(("bearer" = [])))]
pub async fn remove_member(
    chat: Chat,
    me: AuthUser,
    PathId((ws, user)): PathId<(WorkspaceId, UserId)>,
) -> Result<HttpResponse, ApiError> {
    run(&chat, move |s| s.members.remove_member(me.id, ws, user)).await?;
    Ok(HttpResponse::Ok().json(NoticeDto::new("User removed from workspace")))
}
