-- Doctors' adapters (core/training/adapters.py): which adapter was made active when, so that a rollback can go back
-- to the one active before the current one (model_adapters.is_active only knows the present).
-- Append-only: 'activate' pushes an adapter on a doctor's stack, 'rollback' pops the top one; replaying a doctor's
-- rows in id order gives the stack, whose top is the active adapter (none: the base model).

CREATE TABLE IF NOT EXISTS model_adapter_activations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     VARCHAR(255) NOT NULL,
    adapter_id  VARCHAR(255) REFERENCES model_adapters(adapter_id),  -- 'activate': the adapter; 'rollback': NULL
    action      TEXT NOT NULL CHECK (action IN ('activate', 'rollback')),
    actor       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((action = 'activate') = (adapter_id IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS model_adapter_activations_user ON model_adapter_activations (user_id, id);

GRANT SELECT, INSERT ON model_adapter_activations TO intelluxe_app;
