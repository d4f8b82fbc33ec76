-- Every change to the function registry is announced on the channel `fnhost_changes`, with the
-- function's name as the payload, when its transaction commits; nodes LISTEN and reload that
-- function (host/store/src/changes.rs). A trigger, so no write path can forget to announce.
CREATE FUNCTION fnhost_announce() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_data jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        row_data := to_jsonb(OLD);
    ELSE
        row_data := to_jsonb(NEW);
    END IF;
    PERFORM pg_notify('fnhost_changes', row_data ->> TG_ARGV[0]);
    IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) ->> TG_ARGV[0]) IS DISTINCT FROM (row_data ->> TG_ARGV[0]) THEN
        PERFORM pg_notify('fnhost_changes', to_jsonb(OLD) ->> TG_ARGV[0]);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER functions_announce AFTER INSERT OR UPDATE OR DELETE ON functions
    FOR EACH ROW EXECUTE FUNCTION fnhost_announce('name');
CREATE TRIGGER aliases_announce AFTER INSERT OR UPDATE OR DELETE ON aliases
    FOR EACH ROW EXECUTE FUNCTION fnhost_announce('function');
CREATE TRIGGER function_urls_announce AFTER INSERT OR UPDATE OR DELETE ON function_urls
    FOR EACH ROW EXECUTE FUNCTION fnhost_announce('function');
CREATE TRIGGER function_concurrency_announce AFTER INSERT OR UPDATE OR DELETE ON function_concurrency
    FOR EACH ROW EXECUTE FUNCTION fnhost_announce('function');
CREATE TRIGGER function_tags_announce AFTER INSERT OR UPDATE OR DELETE ON function_tags
    FOR EACH ROW EXECUTE FUNCTION fnhost_announce('name');
